"""A split's auto-winner: once its horizon or sample is reached, compare the arms once.

The decision is a **fixed-horizon** test, looked at exactly once: the arm with
the highest rate wins when it beats every other arm with Fisher's exact test
(small counts) or the two-proportion z-test (journey.results.stats), each
p-value multiplied by the number of comparisons (Bonferroni), below
1 - confidence. Anything less is "no winner": the split goes on as declared.
Because the horizon is declared in advance and the data are looked at once, the
ordinary p-value is valid here; the report's always-valid p-value is for
people who look every day.

`split_winner` is what the engine's split step asks (through the shell's
History): the kept decision, else — when due — a new one, kept once per split
by the store (two workers racing keep one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from journey.localtime import UTC_ZONE, add_duration
from journey.model import END, AutoWinner, Event, Plan, SplitStep
from journey.records import SplitDecision
from journey.results import stats
from journey.results.engagement import CLICKED, Engagement
from journey.store.result_rows import EnrollmentOutcome, MessageTouch

if TYPE_CHECKING:
    from journey.store.abc import StateStore


def due_reason(
    auto: AutoWinner, given: int, first_at: datetime | None, now: datetime
) -> str | None:
    """Why the split is due for its decision now (sample reached, horizon passed), else None."""
    if first_at is None:
        return None
    if auto.sample is not None and given >= auto.sample:
        return f"{auto.sample} contacts entered the split"
    if auto.after is not None and now >= add_duration(first_at, auto.after, UTC_ZONE):
        return f"{auto.after.text} passed since the split's first entrant"
    return None


def split_winner(store: StateStore, plan: Plan, step: SplitStep, now: datetime) -> str | None:
    """The arm every entrant of `step` now goes to, or None: the split as declared."""
    auto = step.auto_winner
    if auto is None:
        return None
    decision = store.split_decision(plan.journey_id, step.id)
    if decision is None:
        given, first_at = store.split_progress(
            plan.journey_id, step.id, count_up_to=auto.sample or 0
        )
        reason = due_reason(auto, given, first_at, now)
        if reason is None:
            return None
        outcomes = store.enrollment_outcomes(plan.journey_id)
        events: list[Event] = []
        touches: list[MessageTouch] = []
        if auto.metric == "conversion" and auto.event:
            events = store.events_named([auto.event])
        elif auto.metric == "clicked":
            events = store.events_named([CLICKED])
            touches = store.message_touches(plan.journey_id)
        counts = arm_counts(step, auto, outcomes, events, touches, now)
        decision = store.record_split_decision(
            decide(plan.journey_id, step, auto, counts, now=now, reason=reason)
        )
    names = {arm.name for arm in step.arms}
    return decision.winner if decision.winner in names else None


def arm_counts(
    step: SplitStep,
    auto: AutoWinner,
    outcomes: Sequence[EnrollmentOutcome],
    events: Sequence[Event],
    touches: Sequence[MessageTouch],
    now: datetime,
) -> dict[str, tuple[int, int]]:
    """Per arm: (entrants, converted by `now` on the metric), counted from the split on."""
    by_contact: dict[str, list[datetime]] = defaultdict(list)
    for event in events:
        if event.name == auto.event:
            by_contact[event.contact_id].append(event.timestamp)
    engagement = Engagement.from_events(events, touches) if auto.metric == "clicked" else None
    clicks: dict[str, list[datetime]] = defaultdict(list)
    if engagement is not None:
        enrollment_of = {t.message_id: t.enrollment_id for t in touches}
        for key, at in engagement.clicks:
            clicks[enrollment_of[key]].append(at)
    counts = {arm.name: [0, 0] for arm in step.arms}
    for outcome in outcomes:
        name = outcome.arms.get(step.id)
        assigned = outcome.reached.get(step.id, outcome.entered_at)
        if name is None or assigned > now:
            continue
        cell = counts.setdefault(name, [0, 0])
        cell[0] += 1
        if auto.metric == "goal":
            done = outcome.converted_at
            cell[1] += done is not None and assigned <= done <= now
        elif auto.metric == "clicked":
            cell[1] += any(assigned <= at <= now for at in clicks.get(outcome.enrollment_id, ()))
        else:
            cell[1] += any(assigned < at <= now for at in by_contact.get(outcome.contact_id, ()))
    return {name: (entered, converted) for name, (entered, converted) in counts.items()}


def decide(
    journey_id: str,
    step: SplitStep,
    auto: AutoWinner,
    counts: dict[str, tuple[int, int]],
    *,
    now: datetime,
    reason: str,
) -> SplitDecision:
    """The one look: the best candidate wins if it beats every other arm, else no winner."""
    alpha = 1 - auto.confidence
    arms = [arm for arm in step.arms if arm.weight > 0]
    candidates = [arm.name for arm in arms if arm.goto != END]
    rows = [_arm_row(name, *counts.get(name, (0, 0))) for name in (a.name for a in arms)]
    rate = {row["name"]: row["rate"] for row in rows}
    ranked = sorted(candidates, key=lambda n: -1.0 if rate[n] is None else rate[n], reverse=True)
    best = ranked[0] if ranked else None
    comparisons: list[dict[str, Any]] = []
    winner: str | None = best
    for other in (row["name"] for row in rows if row["name"] != best):
        if best is None:
            break
        comparison = _compare(best, other, counts, len(rows) - 1, auto.confidence)
        comparisons.append(comparison)
        beaten = comparison["difference"] > 0 and comparison["adjusted_p"] < alpha
        if not beaten:
            winner = None
    if best is None or not comparisons or rate[best] is None:
        winner = None
    metric = f"conversion:{auto.event}" if auto.metric == "conversion" else auto.metric
    text = (
        f"`{winner}` wins on {metric} (every comparison p < {alpha:.2g} after Bonferroni); "
        "later entrants go to it"
        if winner
        else f"no winner on {metric} at {auto.confidence:g} confidence; the split goes on"
    )
    figures = {
        "metric": metric,
        "reason": reason,
        "confidence": auto.confidence,
        "method": "fixed horizon, one look: Fisher's exact test or z-test, Bonferroni",
        "arms": rows,
        "comparisons": comparisons,
        "decision": text,
    }
    return SplitDecision(
        journey_id=journey_id, step_id=step.id, decided_at=now, winner=winner, figures=figures
    )


def _arm_row(name: str, entered: int, converted: int) -> dict[str, Any]:
    return {
        "name": name,
        "entered": entered,
        "converted": converted,
        "rate": converted / entered if entered else None,
    }


def _compare(
    best: str, other: str, counts: dict[str, tuple[int, int]], tests: int, confidence: float
) -> dict[str, Any]:
    n1, x1 = counts.get(best, (0, 0))
    n2, x2 = counts.get(other, (0, 0))
    test = stats.compare_proportions(x1, n1, x2, n2)
    low, high = stats.newcombe_interval(x1, n1, x2, n2, confidence)
    difference = (x1 / n1 if n1 else 0.0) - (x2 / n2 if n2 else 0.0)
    if not n1 or not n2:
        difference = 0.0
    return {
        "arm": best,
        "against": other,
        "difference": difference,
        "interval": [low, high],
        "method": test.method,
        "p_value": test.p_value,
        "adjusted_p": min(1.0, test.p_value * max(1, tests)),
    }

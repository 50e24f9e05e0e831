"""Experiments: per split step, what each arm did and whether the difference is real.

An enrollment belongs to an arm of a split from the moment the split gave it
that arm (intention to treat: it counts there whether or not a message then
went out). An arm whose `goto` is `end` is a **holdout**: it gets nothing more
of the journey, so comparing the other arms with it measures the journey's
uplift.

Each arm is compared with the reference arm (the holdout, else the first arm):
the difference of conversion rates with Newcombe's interval, a p-value from
Fisher's exact test (small counts) or the z-test, and an always-valid p-value
over daily looks. The decision in plain words uses the always-valid one, so it
may be read every day.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from journey.model import END, SplitStep
from journey.records import SplitDecision
from journey.results import stats
from journey.store.result_rows import EnrollmentOutcome

# An enrollment's conversion: (converted at, [(value, currency)]) or None.
Converts = Callable[[EnrollmentOutcome, datetime], tuple[datetime, list[tuple[float, str]]] | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    outcome: EnrollmentOutcome
    assigned_at: datetime
    converted_at: datetime | None
    amounts: tuple[tuple[float, str], ...]


def split_results(
    step: SplitStep,
    outcomes: Sequence[EnrollmentOutcome],
    converts: Converts,
    activity: dict[str, Counter[str]],
    *,
    step_order: Sequence[str],
    confidence: float,
    zone: ZoneInfo,
    last_day: date,
    decision: SplitDecision | None = None,
) -> dict[str, Any]:
    """The `splits[]` entry of the report for one split step.

    After an auto-winner decision every entrant goes to the winner: those are not
    part of the experiment (not randomised), so the arms count entrants before it.
    """
    arms = [(arm.name, arm.goto) for arm in step.arms]
    members: dict[str, list[Member]] = {name: [] for name, _ in arms}
    after_decision = 0
    for outcome in outcomes:
        name = outcome.arms.get(step.id)
        if name is None:
            continue
        assigned = outcome.reached.get(step.id, outcome.entered_at)
        if decision is not None and decision.winner is not None and assigned >= decision.decided_at:
            after_decision += 1
            continue
        conversion = converts(outcome, assigned)
        members.setdefault(name, []).append(
            Member(
                outcome=outcome,
                assigned_at=assigned,
                converted_at=conversion[0] if conversion else None,
                amounts=tuple(conversion[1]) if conversion else (),
            )
        )
    holdout = next((name for name, goto in arms if goto == END), None)
    reference = holdout or arms[0][0]
    currencies = sorted({c for group in members.values() for m in group for _, c in m.amounts})
    rows: list[dict[str, Any]] = []
    for name, goto in arms:
        group = members.get(name, [])
        converted = sum(1 for m in group if m.converted_at is not None)
        low, high = stats.wilson_interval(converted, len(group), confidence)
        reached: Counter[str] = Counter()
        for member in group:
            reached.update(s for s in member.outcome.reached if s != step.id)
        rows.append(
            {
                "name": name,
                "goto": goto,
                "holdout": name == holdout,
                "entered": len(group),
                "converted": converted,
                "conversion_rate": _rate(converted, len(group)),
                "interval": [low, high],
                "sent": _total(activity, group, "sent"),
                "opened": _total(activity, group, "opened"),
                "clicked": _total(activity, group, "clicked"),
                "reached": {s: reached[s] for s in step_order if reached[s]},
                "revenue": _revenue(a for m in group for a in m.amounts),
                "revenue_per_entrant": _per_entrant(group, currencies, confidence),
            }
        )
    by_name = {row["name"]: row for row in rows}
    ref = by_name[reference]
    best: dict[str, Any] | None = None
    for row in rows:
        if row["name"] == reference:
            continue
        row["vs_reference"] = _compare(
            row,
            ref,
            members.get(row["name"], []),
            members.get(reference, []),
            confidence,
            zone,
            last_day,
        )
        if best is None or row["vs_reference"]["p_value"] < best["p_value"]:
            best = row["vs_reference"]
    comparisons = max(1, len(rows) - 1)
    test = _split_test(best, comparisons, confidence)
    result: dict[str, Any] = {
        "step": step.id,
        "reference": reference,
        "holdout": holdout,
        "arms": rows,
        "test": test,
    }
    if holdout is not None:
        result["uplift"] = _uplift(rows, members, holdout, confidence, zone, last_day)
    if step.auto_winner is not None or decision is not None:
        result["auto_winner"] = auto_winner_entry(step, decision, after_decision)
    return result


def auto_winner_entry(
    step: SplitStep, decision: SplitDecision | None, after_decision: int
) -> dict[str, Any]:
    """What the split's auto-winner declared, decided (once) and did since."""
    auto = step.auto_winner
    declared = None
    if auto is not None:
        metric = f"conversion:{auto.event}" if auto.metric == "conversion" else auto.metric
        declared = {
            "metric": metric,
            "after": auto.after.text if auto.after else None,
            "sample": auto.sample,
            "confidence": auto.confidence,
        }
    return {
        "declared": declared,
        "decided": decision is not None,
        "decided_at": decision.decided_at.isoformat() if decision else None,
        "winner": decision.winner if decision else None,
        "after_decision": after_decision,
        "figures": decision.figures if decision else None,
    }


def _spent(group: list[Member], currency: str) -> list[float]:
    return [sum(v for v, c in m.amounts if c == currency) for m in group]


def _per_entrant(
    group: list[Member], currencies: list[str], confidence: float
) -> dict[str, dict[str, Any]]:
    """Per currency: revenue per entrant, a normal interval on the mean."""
    found = {}
    for currency in currencies:
        mean, low, high = stats.mean_interval(_spent(group, currency), confidence)
        found[currency] = {"mean": mean, "interval": [low, high]}
    return found


def _total(activity: dict[str, Counter[str]], group: list[Member], what: str) -> int:
    return sum(
        activity[m.outcome.enrollment_id][what]
        for m in group
        if m.outcome.enrollment_id in activity
    )


def _rate(converted: int, entered: int) -> float | None:
    return converted / entered if entered else None


def _revenue(amounts: Any) -> dict[str, float]:
    totals: Counter[str] = Counter()
    for value, currency in amounts:
        totals[currency] += value
    return {c: round(v, 2) for c, v in sorted(totals.items())}


def _compare(
    row: dict[str, Any],
    ref: dict[str, Any],
    group: list[Member],
    ref_group: list[Member],
    confidence: float,
    zone: ZoneInfo,
    last_day: date,
) -> dict[str, Any]:
    x1, n1, x2, n2 = row["converted"], row["entered"], ref["converted"], ref["entered"]
    test = stats.compare_proportions(x1, n1, x2, n2)
    low, high = stats.newcombe_interval(x1, n1, x2, n2, confidence)
    looks = daily_looks(group, ref_group, zone, last_day)
    revenue = {}
    for currency in sorted(set(row["revenue_per_entrant"]) | set(ref["revenue_per_entrant"])):
        difference, d_low, d_high = stats.mean_difference_interval(
            _spent(group, currency), _spent(ref_group, currency), confidence
        )
        revenue[currency] = {"difference": difference, "interval": [d_low, d_high]}
    return {
        "revenue_per_entrant_difference": revenue,
        "against": ref["name"],
        "difference": (x1 / n1 if n1 else 0.0) - (x2 / n2 if n2 else 0.0),
        "interval": [low, high],
        "method": test.method,
        "p_value": test.p_value,
        "always_valid_p": stats.always_valid_p(looks),
        "looks": len(looks),
        "arm": row["name"],
    }


def daily_looks(
    a: list[Member], b: list[Member], zone: ZoneInfo, last_day: date
) -> list[tuple[int, int, int, int]]:
    """(converted, entered) of both groups as they stood at the end of each day."""
    if not a or not b:
        return []
    first = min(m.assigned_at for m in (*a, *b)).astimezone(zone).date()
    series = []
    entered_a, converted_a = _times(a)
    entered_b, converted_b = _times(b)
    day = first
    while day <= last_day:
        end = datetime.combine(day + timedelta(days=1), time(), zone)
        series.append(
            (
                bisect.bisect_left(converted_a, end),
                bisect.bisect_left(entered_a, end),
                bisect.bisect_left(converted_b, end),
                bisect.bisect_left(entered_b, end),
            )
        )
        day += timedelta(days=1)
    return series


def _times(group: list[Member]) -> tuple[list[datetime], list[datetime]]:
    entered = sorted(m.assigned_at for m in group)
    converted = sorted(max(m.converted_at, m.assigned_at) for m in group if m.converted_at)
    return entered, converted


def _split_test(best: dict[str, Any] | None, comparisons: int, confidence: float) -> dict[str, Any]:
    alpha = 1 - confidence
    if best is None:
        return {"method": "none", "p_value": None, "always_valid_p": None, "decision": "one arm"}
    p_value = min(1.0, best["p_value"] * comparisons)  # Bonferroni over the arms compared
    always_valid = min(1.0, best["always_valid_p"] * comparisons)
    arm, against = best["arm"], best["against"]
    if always_valid < alpha:
        better = arm if best["difference"] > 0 else against
        worse = against if better == arm else arm
        decision = (
            f"`{better}` converts better than `{worse}` (always-valid p {always_valid:.3g} < "
            f"{alpha:.2g}); this holds however often the results were looked at"
        )
    else:
        decision = (
            f"no winner yet (always-valid p {always_valid:.3g}); keep running, checking "
            "every day is fine"
        )
    return {
        "method": best["method"],
        "p_value": p_value,
        "always_valid_p": always_valid,
        "comparisons": comparisons,
        "confidence": confidence,
        "decision": decision,
    }


def _uplift(
    rows: list[dict[str, Any]],
    members: dict[str, list[Member]],
    holdout: str,
    confidence: float,
    zone: ZoneInfo,
    last_day: date,
) -> dict[str, Any]:
    """Everyone not held out against the holdout: what the journey adds."""
    treated_rows = [r for r in rows if r["name"] != holdout]
    held = next(r for r in rows if r["name"] == holdout)
    x1 = sum(r["converted"] for r in treated_rows)
    n1 = sum(r["entered"] for r in treated_rows)
    x2, n2 = held["converted"], held["entered"]
    low, high = stats.newcombe_interval(x1, n1, x2, n2, confidence)
    test = stats.compare_proportions(x1, n1, x2, n2)
    treated = [m for r in treated_rows for m in members.get(r["name"], [])]
    looks = daily_looks(treated, members.get(holdout, []), zone, last_day)
    rate1 = x1 / n1 if n1 else None
    rate2 = x2 / n2 if n2 else None
    relative = (rate1 / rate2 - 1) if rate1 is not None and rate2 else None
    return {
        "treated": {"entered": n1, "converted": x1, "conversion_rate": rate1},
        "holdout": {"entered": n2, "converted": x2, "conversion_rate": rate2},
        "difference": (rate1 or 0.0) - (rate2 or 0.0),
        "interval": [low, high],
        "relative": relative,
        "method": test.method,
        "p_value": test.p_value,
        "always_valid_p": stats.always_valid_p(looks),
    }

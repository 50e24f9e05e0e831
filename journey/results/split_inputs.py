"""What a journey's per-arm figures are computed from, kept apart so that parts can be merged.

`journey simulate --jobs N` runs the population in N parts, each with its own
store; the splits of the whole are computed from the parts' inputs put together
(journey.results.experiments computes every interval and test from them), so
they equal those of one run over everyone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from journey.model import Event, Plan, SplitStep
from journey.records import SplitDecision
from journey.results.activity import arm_starts, lifetime_value
from journey.results.conversions import ConversionSettings
from journey.results.engagement import ENGAGEMENT_EVENTS
from journey.results.experiments import Converts, split_results
from journey.results.variants import experiment_steps
from journey.store.abc import StateStore
from journey.store.result_rows import EnrollmentOutcome

Conversion = tuple[datetime, list[tuple[float, str]]] | None


@dataclass(slots=True, kw_only=True)
class SplitInputs:
    """The enrollments given an arm, with their conversion and activity; picklable."""

    # in an arm of some experiment step, in the store's order (entered_at, id)
    outcomes: list[EnrollmentOutcome] = field(default_factory=list)
    # (enrollment id, step id) -> its conversion counted from when that step assigned it
    conversions: dict[tuple[str, str], Conversion] = field(default_factory=dict)
    activity: dict[str, Counter[str]] = field(default_factory=dict)  # per enrollment id
    latest: datetime | None = None  # the latest instant in the journey's data (its last day)
    # the conversion events of contacts in an arm (their lifetime value), in the store's
    # order (timestamp, id); and the latest entry or event of all (the report's end)
    events: list[Event] = field(default_factory=list)
    report_end: datetime | None = None


def split_inputs(
    plan: Plan,
    outcomes: Iterable[EnrollmentOutcome],
    converts: Converts,
    activity: dict[str, Counter[str]],
    latest: datetime | None,
) -> SplitInputs:
    """The inputs of the splits' figures (not yet their lifetime values: `with_lifetime_events`)."""
    steps = experiment_steps(plan)
    inputs = SplitInputs(latest=latest)
    for outcome in outcomes:
        assigned = [step for step in steps if step.id in outcome.arms]
        if not assigned:
            continue
        inputs.outcomes.append(outcome)
        for step in assigned:
            start = outcome.reached.get(step.id, outcome.entered_at)
            inputs.conversions[(outcome.enrollment_id, step.id)] = converts(outcome, start)
        if outcome.enrollment_id in activity:
            inputs.activity[outcome.enrollment_id] = activity[outcome.enrollment_id]
    return inputs


def with_lifetime_events(
    inputs: SplitInputs,
    events: Sequence[Event],
    settings: ConversionSettings,
    report_end: datetime | None,
) -> SplitInputs:
    """The inputs with what the arms' lifetime values need: their contacts' conversion events."""
    in_arms = {o.contact_id for o in inputs.outcomes}
    inputs.events = [e for e in events if e.name in settings.events and e.contact_id in in_arms]
    inputs.report_end = report_end
    return inputs


def add_arm_lifetime_values(
    splits: list[dict[str, Any]], inputs: SplitInputs, settings: ConversionSettings
) -> None:
    """Each arm's `lifetime_value`, as `journey report` adds it (journey_lifecycle)."""
    as_of = inputs.report_end or datetime.now(UTC)
    for split in splits:
        for arm in split["arms"]:
            starts = arm_starts(inputs.outcomes, split["step"], arm["name"])
            arm["lifetime_value"] = lifetime_value(starts, inputs.events, settings, as_of)


def merge_split_inputs(parts: Sequence[SplitInputs]) -> SplitInputs:
    """The inputs of parts with no enrollment in common, as one store would give them."""
    merged = SplitInputs()
    outcomes = [o for part in parts for o in part.outcomes]
    merged.outcomes = sorted(outcomes, key=lambda o: (o.entered_at, o.enrollment_id))
    for part in parts:
        merged.conversions.update(part.conversions)
        merged.activity.update(part.activity)
    merged.latest = max((p.latest for p in parts if p.latest is not None), default=None)
    events = [e for part in parts for e in part.events]
    merged.events = sorted(events, key=lambda e: (e.timestamp, e.id))
    ends = [p.report_end for p in parts if p.report_end is not None]
    merged.report_end = max(ends, default=None)
    return merged


def journey_splits(
    plan: Plan,
    inputs: SplitInputs,
    *,
    confidence: float,
    zone: ZoneInfo,
    decisions: dict[tuple[str, str], SplitDecision],
) -> list[dict[str, Any]]:
    """The `splits[]` of the journey's report: one entry per split and per send with variants."""
    last_day = (inputs.latest or datetime.now(UTC)).astimezone(zone).date()
    order = [s.id for s in plan.steps]
    return [
        split_results(
            step,
            inputs.outcomes,
            _converts_at(step, inputs),
            inputs.activity,
            step_order=order,
            confidence=confidence,
            zone=zone,
            last_day=last_day,
            decision=decisions.get((plan.journey_id, step.id)),
        )
        | {"of": "send" if step.arms[0].goto == step.id else "split"}
        for step in experiment_steps(plan)
    ]


def _converts_at(step: SplitStep, inputs: SplitInputs) -> Callable[..., Conversion]:
    def converts(outcome: EnrollmentOutcome, _assigned: datetime) -> Conversion:
        return inputs.conversions[(outcome.enrollment_id, step.id)]

    return converts


def split_events(
    store: StateStore, plan: Plan, names: set[str], outcomes: list[EnrollmentOutcome]
) -> list[Event]:
    """The events a journey's splits are computed from, oldest first: every engagement
    event (its delivery key ties it to a message) and the other named events of the
    contacts in an arm. The rest (the contacts who never reached a split) cannot change
    a split's figures, and `journey simulate` would otherwise hold every contact's
    entry event here when the trigger event is also a conversion."""
    steps = [step.id for step in experiment_steps(plan)]
    in_arms = {o.contact_id for o in outcomes if any(step in o.arms for step in steps)}
    engagement = names & set(ENGAGEMENT_EVENTS)
    found = store.events_named(engagement) if engagement else []
    if in_arms and names - engagement:
        found += store.events_named(names - engagement, contact_ids=in_arms)
    return sorted(found, key=lambda e: (e.timestamp, e.id))

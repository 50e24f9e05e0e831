"""The reports of a simulation's parts put together: the report of one run over everyone.

Each contact (with its events) ran in exactly one part, so counts add up; the
timeline holds the rows the parent chose (the first contacts of the input and
those shown), in one order; the per-arm figures are computed again from the
parts' inputs (journey.results.split_inputs), never averaged from theirs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from journey.engine.simulation import SimulationReport, simulation_splits
from journey.model import Plan
from journey.records import JourneyCounts, StepCounts
from journey.results.conversions import ConversionSettings
from journey.results.split_inputs import merge_split_inputs

UNKNOWN = "unknown"  # an exit without a reason: the store's NULL, which sorts first
# a step's outcomes: its records' (by name), then its deliveries' (journey.store.reports)
DELIVERY_OUTCOMES = ("dead_lettered", "delivery_failed", "parked", "uncertain", "unconfirmed")


def merge_reports(
    plan: Plan,
    parts: Sequence[SimulationReport],
    *,
    timeline_contacts: int | None,
    rendered_contacts: int | None,
    rendered_ids: frozenset[str] | None,
    conversions: ConversionSettings,
) -> SimulationReport:
    """One report from the parts' (contacts partitioned by id); the parent knows the input
    order, so it says how many contacts the timeline keeps and whose messages were rendered."""
    first = parts[0]
    merged = SimulationReport(
        journey_id=first.journey_id,
        start=first.start,
        end=first.end,
        contacts=sum(p.contacts for p in parts),
        step_order=first.step_order,
    )
    rows = [row for part in parts for row in part.timeline]
    merged.timeline = sorted(rows, key=lambda r: (r.at, r.contact_id))  # stable, as one part's
    merged.timeline_rows = sum(p.timeline_rows for p in parts)
    merged.timeline_contacts = timeline_contacts
    merged.counts = merge_counts(first.journey_id, [p.counts for p in parts if p.counts])
    merged.sends_per_day = dict(sorted(_summed(p.sends_per_day for p in parts).items()))
    merged.transitions = sum(p.transitions for p in parts)
    merged.matched_at_start = sum(p.matched_at_start for p in parts)
    merged.rendered_contacts = rendered_contacts
    merged.rendered_ids = rendered_ids
    inputs = [p.split_inputs for p in parts if p.split_inputs is not None]
    if inputs:
        merged.split_inputs = merge_split_inputs(inputs)
        merged.splits = simulation_splits(plan, merged.split_inputs, conversions)
    return merged


def merge_counts(journey_id: str, parts: Sequence[JourneyCounts]) -> JourneyCounts:
    """Every count summed; each breakdown in the store's order (by key, as GROUP BY gives it)."""
    counts = JourneyCounts(journey_id=journey_id)
    counts.entered = sum(p.entered for p in parts)
    counts.active = sum(p.active for p in parts)
    counts.converted = sum(p.converted for p in parts)
    counts.exited = _in_store_order(_summed(p.exited for p in parts))
    counts.deliveries = _in_store_order(_summed(p.deliveries for p in parts))
    for step_id in sorted({s for p in parts for s in p.steps}):
        steps = [p.steps[step_id] for p in parts if step_id in p.steps]
        counts.steps[step_id] = StepCounts(
            entered=sum(s.entered for s in steps),
            waiting=sum(s.waiting for s in steps),
            outcomes=_outcomes_in_store_order(_summed(s.outcomes for s in steps)),
            exited=_in_store_order(_summed(s.exited for s in steps)),
            details=_in_store_order(_summed(s.details for s in steps)),
        )
    return counts


def _summed(counters: Iterable[Mapping[str, int]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counter in counters:
        total.update(counter)
    return total


def _in_store_order(counter: Counter[str]) -> dict[str, int]:
    return {key: counter[key] for key in sorted(counter, key=lambda k: (k != UNKNOWN, k))}


def _outcomes_in_store_order(counter: Counter[str]) -> dict[str, int]:
    return {key: counter[key] for key in sorted(counter, key=lambda k: (k in DELIVERY_OUTCOMES, k))}

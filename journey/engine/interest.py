"""Which events the loaded plans react to: the rest are stored as history only."""

from __future__ import annotations

from collections.abc import Iterable

from journey.model import EventTrigger, InactivityTrigger, Plan, SegmentTrigger, WaitForStep


def interesting_events(plans: Iterable[Plan]) -> frozenset[str] | None:
    """Event names any plan reacts to; None when every event may matter.

    Segment triggers (has_event/event_count) and old plan versions still in flight
    can react to anything, so with a segment journey every event is processed.
    """
    names: set[str] = set()
    for plan in plans:
        trigger = plan.trigger
        if isinstance(trigger, SegmentTrigger):
            return None
        if isinstance(trigger, EventTrigger | InactivityTrigger):
            names.add(trigger.event)
        names.update(item.event for item in plan.exit_when if item.event)
        if plan.goal is not None:
            names.add(plan.goal.event)
        names.update(step.event for step in plan.steps if isinstance(step, WaitForStep))
    return frozenset(names)


def union(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """None (every event matters) wins over any set of names."""
    return None if a is None or b is None else a | b

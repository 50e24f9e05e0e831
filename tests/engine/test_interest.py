"""Which events the runner processes: triggers, exits, goals, waits; every one with a segment."""

from __future__ import annotations

from journey.engine.interest import interesting_events, union
from journey.model import (
    Duration,
    EventTrigger,
    ExitCondition,
    Goal,
    SegmentTrigger,
    WaitForStep,
)
from tests.engine.test_triggers import DAY, plan, send


def test_names_come_from_trigger_exit_when_goal_and_wait_for() -> None:
    waiting = plan(
        EventTrigger(event="signed_up"),
        WaitForStep(id="w", next="hello", event="opened", timeout=DAY, on_timeout="hello"),
        send("hello"),
        exit_when=(ExitCondition(event="unsubscribed"), ExitCondition(expression="true")),
        goal=Goal(event="purchased", within=Duration(calendar_days=7)),
    )
    names = interesting_events([waiting])
    assert names == frozenset({"signed_up", "opened", "unsubscribed", "purchased"})


def test_a_segment_journey_makes_every_event_matter() -> None:
    segment = plan(SegmentTrigger(condition="contact.plan == 'trial'"))
    assert interesting_events([plan(EventTrigger(event="signed_up")), segment]) is None


def test_every_event_matters_wins_a_union() -> None:
    assert union(frozenset({"a"}), frozenset({"b"})) == frozenset({"a", "b"})
    assert union(None, frozenset({"b"})) is None
    assert union(frozenset({"a"}), None) is None

"""Frequency caps of a claimed batch: its send times are read once (journey.engine.sends_ahead),
and answer as the store would at each send."""

from __future__ import annotations

from datetime import timedelta

from journey.engine.context import EngineSettings
from journey.model import (
    END,
    DateTrigger,
    Duration,
    EventTrigger,
    FrequencyCap,
    Plan,
    ScheduleTrigger,
    SendStep,
    Trigger,
    WaitStep,
)
from tests.engine.engine_world import World

DAY = Duration(calendar_days=1)
WEEK = Duration(calendar_days=7)


def waits_then_sends(journey_id: str, event: str = "go", **options) -> Plan:  # type: ignore[no-untyped-def]
    """An hour after `event`: a send, claimed in one batch with the other journeys'."""
    return Plan(
        journey_id=journey_id,
        name=journey_id,
        kind="engagement",
        trigger=EventTrigger(event=event),
        steps=(
            WaitStep(id="wait", next="hello", duration=Duration(seconds=3600)),
            SendStep(id="hello", next=END, channel="email", template="t/x", message="email"),
        ),
        reentry="always",
        **options,
    )


def sent_by(world: World) -> list[str]:
    return sorted(h.journey_id for h in world.happenings if h.kind == "send")


def test_a_batch_counts_the_sends_it_wrote_itself(world: World) -> None:
    world.settings = EngineSettings(frequency_cap=FrequencyCap(max=2, per=WEEK))
    world.load(waits_then_sends("a"), waits_then_sends("b"), waits_then_sends("c"))
    world.contact(id="c1")
    world.event("go")
    world.finish(timedelta(hours=2))
    assert len(sent_by(world)) == 2
    assert world.kinds("skip") == [("hello", "capped")]


def test_a_send_written_before_the_batch_read_counts_once(world: World) -> None:
    world.settings = EngineSettings(frequency_cap=FrequencyCap(max=2, per=WEEK))
    world.load(waits_then_sends("free", frequency_cap=False), waits_then_sends("b"))
    world.contact(id="c1")
    world.event("go")
    world.finish(timedelta(hours=2))
    assert sent_by(world) == ["b", "free"]


def test_a_wider_cap_window_than_the_batch_read_reads_again(world: World) -> None:
    early = waits_then_sends("early", event="first")
    day = waits_then_sends("x", frequency_cap=FrequencyCap(max=1, per=DAY))
    week = waits_then_sends("y", frequency_cap=FrequencyCap(max=2, per=WEEK))
    world.load(early, day, week)
    world.contact(id="c1")
    world.event("first")
    world.finish(timedelta(days=3))
    assert sent_by(world) == ["early"]
    world.event("go")
    world.finish(timedelta(hours=2))
    # a day's window holds none of the three-day-old send, a week's holds it
    assert len(sent_by(world)) == 2
    assert world.kinds("skip") == [("hello", "capped")]


def sends_at_once(journey_id: str, trigger: Trigger) -> Plan:
    return Plan(
        journey_id=journey_id,
        name=journey_id,
        kind="engagement",
        trigger=trigger,
        steps=(SendStep(id="hello", next=END, channel="email", template="t/x", message="email"),),
        reentry="always",
        audience="true",
    )


def test_contacts_a_trigger_fires_for_together_count_the_sends_of_their_batch(
    world: World,
) -> None:
    world.settings = EngineSettings(frequency_cap=FrequencyCap(max=1, per=WEEK))
    renewal = DateTrigger(attribute="renewal", at="09:00")
    digest = ScheduleTrigger(cron="0 9 * * *")
    world.load(
        sends_at_once("a", renewal),
        sends_at_once("b", renewal),
        sends_at_once("c", digest),
        sends_at_once("d", digest),
    )
    world.contact(id="c1", renewal="2026-03-02")
    world.finish(timedelta(hours=2))
    # four journeys fire at 09:00: date triggers claimed per contact, schedules as shard fires
    assert len(sent_by(world)) == 1
    assert len(world.kinds("skip")) == 3

"""A journey's trigger edited in a new version: the contacts already stored are armed again.

A marketer widens a segment, moves a reminder's offset, shortens an inactivity
window or a digest's cron; the daemon that loads the new version (the same store,
a new shell, as after a reload) applies it to everyone it already knows, keeping
what each contact has been through.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from journey.localtime import parse_instant as at
from journey.model import (
    DateTrigger,
    Duration,
    InactivityTrigger,
    ScheduleTrigger,
    SegmentTrigger,
)
from tests.engine.engine_world import World
from tests.engine.test_triggers import plan, send


def entered(world: World, *contacts: str) -> list[str]:
    return [c for c in contacts if world.sends(c)]


def test_a_widened_segment_takes_in_who_matches_now_and_not_twice_who_did(world: World) -> None:
    trial = SegmentTrigger(condition="contact.plan == 'trial'", include_existing=True)
    world.load(plan(trial, reentry="always"))
    world.contact(id="c1", plan="trial")
    world.contact(id="c2", plan="pro")
    world.contact(id="c3", plan="free")
    world.finish(timedelta(days=1))
    assert entered(world, "c1", "c2", "c3") == ["c1"]

    widened = replace(trial, condition="contact.plan in ['trial', 'pro']")
    world.load(plan(widened, reentry="always"))
    world.finish(timedelta(days=1))
    assert entered(world, "c1", "c2", "c3") == ["c1", "c2"]
    assert len(world.sends("c1")) == 1  # a member before and after does not enter again


def test_without_include_existing_who_matches_only_the_new_condition_is_a_member_not_an_entry(
    world: World,
) -> None:
    trial = SegmentTrigger(condition="contact.plan == 'trial'")
    world.load(plan(trial))
    world.contact(id="c1", plan="trial")
    world.contact(id="c2", plan="pro")
    world.finish(timedelta(days=1))
    assert entered(world, "c1", "c2") == ["c1"]

    world.load(plan(replace(trial, condition="contact.plan in ['trial', 'pro']")))
    world.finish(timedelta(hours=1))
    assert entered(world, "c1", "c2") == ["c1"]
    state = world.store.get_trigger_state("j", "c2")
    assert state is not None and state.segment_match is True
    world.contact(id="c4", plan="pro")  # who comes to match from now on enters
    assert entered(world, "c4") == ["c4"]


def test_a_narrowed_segment_lets_go_of_who_no_longer_matches(world: World) -> None:
    both = SegmentTrigger(condition="contact.plan in ['trial', 'pro']")
    world.load(plan(both, reentry="always"))
    world.contact(id="c1", plan="pro")
    assert entered(world, "c1") == ["c1"]

    world.load(plan(replace(both, condition="contact.plan == 'trial'"), reentry="always"))
    state = world.store.get_trigger_state("j", "c1")
    assert state is not None and state.segment_match is False
    world.contact(id="c1", plan="trial")  # matches again: a new entry
    assert len(world.sends("c1")) == 2


def test_a_time_condition_edited_is_checked_when_the_new_one_can_change(world: World) -> None:
    ten_days = SegmentTrigger(
        condition="days_since(contact.trial_started) >= 10", recheck=Duration(seconds=3600)
    )
    world.load(plan(ten_days))
    world.contact(id="c1", trial_started="2026-03-01")
    world.finish(timedelta(days=1))  # 2026-03-03 08:00
    assert world.sends("c1") == []

    world.load(plan(replace(ten_days, condition="days_since(contact.trial_started) >= 3")))
    world.finish(timedelta(days=3))
    sends = world.sends("c1")
    assert len(sends) == 1
    assert at("2026-03-04T00:00:00Z") <= sends[0][1] <= at("2026-03-04T01:00:00Z")


def test_a_date_trigger_moved_fires_at_its_new_offset_only(world: World) -> None:
    week_before = DateTrigger(attribute="renewal", offset=Duration(calendar_days=-7), at="09:00")
    world.load(plan(week_before))
    world.contact(id="c1", renewal="2026-03-20", timezone="UTC")
    world.finish(timedelta(days=2))

    world.load(plan(replace(week_before, offset=Duration(calendar_days=-3))))
    world.finish(timedelta(days=20))
    assert world.sends("c1") == [("hello", at("2026-03-17T09:00:00Z"))]


def test_a_date_already_fired_is_not_fired_again_by_an_edit_after_it(world: World) -> None:
    week_before = DateTrigger(attribute="renewal", offset=Duration(calendar_days=-7), at="09:00")
    world.load(plan(week_before, reentry="always"))
    world.contact(id="c1", renewal="2026-03-10", timezone="UTC")
    world.finish(at("2026-03-05T00:00:00Z"))
    assert world.sends("c1") == [("hello", at("2026-03-03T09:00:00Z"))]

    world.load(plan(replace(week_before, offset=Duration(calendar_days=-8)), reentry="always"))
    world.finish(timedelta(days=20))
    assert len(world.sends("c1")) == 1


def test_a_shorter_inactivity_window_reaches_who_has_been_away_that_long(world: World) -> None:
    ninety = InactivityTrigger(event="order_placed", for_=Duration(calendar_days=90))
    world.load(plan(ninety, reentry="always"))
    world.contact(id="away", created_at="2026-01-01T08:00:00Z")
    world.contact(id="recent", created_at="2026-01-01T08:00:00Z")
    world.advance(timedelta(hours=1))
    world.event("order_placed", "recent")  # 2026-03-02 09:00
    world.load(plan(replace(ninety, for_=Duration(calendar_days=30)), reentry="always"))
    world.finish(timedelta(hours=1))
    assert entered(world, "away", "recent") == ["away"]  # away 60 days: past the new 30

    world.load(plan(replace(ninety, for_=Duration(calendar_days=20)), reentry="always"))
    world.finish(timedelta(days=21))
    # who was reached waits for their next order; who ordered is counted from it
    assert len(world.sends("away")) == 1
    assert [t for _, t in world.sends("recent")] == [at("2026-03-22T09:00:00Z")]


def test_a_new_cron_replaces_the_journeys_next_fire(world: World) -> None:
    monday = ScheduleTrigger(cron="0 8 * * MON")
    world.load(plan(monday, audience="true", timezone="UTC", reentry="always"))
    world.contact(id="c1")
    world.finish(timedelta(days=2))  # 2026-03-04 (the first Monday fired at the start)
    before = len(world.sends("c1"))

    world.load(
        plan(replace(monday, cron="0 9 * * THU"), audience="true", timezone="UTC", reentry="always")
    )
    world.finish(at("2026-03-10T00:00:00Z"))
    assert [t for _, t in world.sends("c1")][before:] == [at("2026-03-05T09:00:00Z")]


def test_a_new_cron_in_the_contacts_zone_replaces_each_contacts_next_fire(world: World) -> None:
    nine = ScheduleTrigger(cron="0 9 * * *", timezone="contact")
    world.load(plan(nine, audience="true", reentry="always"))
    world.contact(id="se", timezone="Europe/Stockholm")
    world.load(plan(replace(nine, cron="0 18 * * *"), audience="true", reentry="always"))
    world.finish(at("2026-03-03T12:00:00Z"))
    assert [t for _, t in world.sends("se")] == [at("2026-03-02T18:00:00+01:00")]


def test_editing_a_step_leaves_the_trigger_armed_as_it_was(world: World) -> None:
    week_before = DateTrigger(attribute="renewal", offset=Duration(calendar_days=-7), at="09:00")
    world.load(plan(week_before))
    world.contact(id="c1", renewal="2026-03-20", timezone="UTC")
    armed = world.store.get_trigger_state("j", "c1")
    journey = world.store.get_journey_state("j")

    world.advance(timedelta(hours=1))
    world.load(plan(week_before, send("reminder")))
    assert world.store.get_trigger_state("j", "c1") == armed
    assert world.store.get_journey_state("j") == journey


def test_a_store_from_before_definitions_were_kept_takes_the_trigger_as_armed(
    world: World,
) -> None:
    week_before = DateTrigger(attribute="renewal", offset=Duration(calendar_days=-7), at="09:00")
    world.load(plan(week_before))
    world.contact(id="c1", renewal="2026-03-20", timezone="UTC")
    journey = world.store.get_journey_state("j")
    assert journey is not None and journey.trigger_hash is not None
    world.store.put_journey_state(replace(journey, trigger_hash=None))
    armed = world.store.get_trigger_state("j", "c1")

    moved = replace(week_before, offset=Duration(calendar_days=-3))
    world.load(plan(moved))
    assert world.store.get_trigger_state("j", "c1") == armed
    adopted = world.store.get_journey_state("j")
    assert adopted is not None and adopted.trigger_hash not in (None, journey.trigger_hash)

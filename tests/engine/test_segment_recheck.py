"""The periodic segment re-check scans every contact only for conditions that time can change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from journey.engine.segment_change import depends_on_time
from journey.localtime import parse_instant
from journey.model import Contact, Duration, SegmentTrigger
from journey.records import TriggerState
from tests.engine.engine_world import World
from tests.engine.test_triggers import plan


def _count_scans(world: World) -> list[int]:
    scans = [0]
    original = world.store.iter_contacts

    def counting(batch_size: int = 1000) -> Iterator[list[Contact]]:
        scans[0] += 1
        return original(batch_size)

    world.store.iter_contacts = counting  # type: ignore[method-assign]
    return scans


@pytest.mark.parametrize(
    ("condition", "timely"),
    [
        ("contact.plan == 'trial'", False),
        ("has_event('purchase')", False),
        ("event_count('purchase') > 2 and contact.country == 'SE'", False),
        ("has_event('purchase', within='7d')", True),
        ("event_count('login', '30d') == 0", True),
        ("days_since(contact.trial_started) >= 3", True),
        ("contact.trial_ends < now", True),
    ],
)
def test_which_conditions_depend_on_time(condition: str, timely: bool) -> None:
    assert depends_on_time(condition) is timely


def test_attribute_only_segment_is_not_rescanned_but_still_enters_on_change(
    world: World,
) -> None:
    scans = _count_scans(world)
    world.load(
        plan(SegmentTrigger(condition="contact.plan == 'trial'", recheck=Duration(seconds=3600)))
    )
    world.contact(id="c1", plan="free")
    activation = scans[0]
    world.finish(timedelta(days=1))
    assert scans[0] == activation  # 24 re-checks due, none scanned
    world.contact(id="c1", plan="trial")
    assert len(world.sends("c1")) == 1


def _count_rechecks(world: World) -> list[int]:
    claimed = [0]
    original = world.store.claim_due_trigger_states

    def counting(*args: Any, **kwargs: Any) -> list[TriggerState]:
        states = original(*args, **kwargs)
        claimed[0] += len(states)
        return states

    world.store.claim_due_trigger_states = counting  # type: ignore[method-assign]
    return claimed


def test_time_dependent_segment_is_rechecked_only_when_it_can_change(world: World) -> None:
    scans = _count_scans(world)
    rechecks = _count_rechecks(world)
    condition = "days_since(contact.trial_started) >= 3"
    world.load(plan(SegmentTrigger(condition=condition, recheck=Duration(seconds=3600))))
    world.contact(id="c1", trial_started="2026-03-01")  # three days on: 2026-03-04 00:00 UTC
    activation = scans[0]
    world.finish(timedelta(days=5))
    assert scans[0] == activation  # no scan of every contact
    assert rechecks[0] == 1  # 120 hourly re-checks due, one looked at: when it flips
    assert world.sends("c1") == [("hello", parse_instant("2026-03-04T00:00:00Z"))]


def test_undecidable_condition_is_still_rechecked_every_tick(world: World) -> None:
    rechecks = _count_rechecks(world)
    world.load(plan(SegmentTrigger(condition="now.hour >= 20", recheck=Duration(seconds=3600))))
    world.contact(id="c1")
    world.finish(timedelta(hours=5))
    assert rechecks[0] == 5


def test_a_store_from_before_per_contact_rechecks_arms_them_in_one_pass(world: World) -> None:
    condition = "days_since(contact.trial_started) >= 3"
    world.load(plan(SegmentTrigger(condition=condition, recheck=Duration(seconds=3600))))
    world.contact(id="c1", trial_started="2026-03-01")
    # as an older version left it: a segment match, no re-check instant, no marker
    journey = world.store.get_journey_state("j")
    assert journey is not None
    world.store.put_journey_state(replace(journey, last_fired_at=None))
    world.store.put_trigger_states(
        [TriggerState(journey_id="j", contact_id="c1", segment_match=False)]
    )
    rechecks = _count_rechecks(world)
    world.finish(timedelta(days=5))
    assert world.sends("c1") == [("hello", parse_instant("2026-03-04T00:00:00Z"))]
    assert rechecks[0] == 1  # armed by the one pass, then fired once


def test_a_contact_the_segment_shuts_out_by_attribute_waits_for_its_change_not_the_clock(
    world: World,
) -> None:
    rechecks = _count_rechecks(world)
    condition = "contact.plan == 'paid' and days_since(contact.trial_started) >= 3"
    world.load(plan(SegmentTrigger(condition=condition, recheck=Duration(seconds=3600))))
    world.contact(id="free", plan="free", trial_started="2026-03-01")
    world.contact(id="paid", plan="paid", trial_started="2026-03-01")
    world.finish(timedelta(days=5))
    # three days on (2026-03-04) the paying contact is looked at and enters; the free one,
    # whom only a change of plan can let in, is not looked at
    assert rechecks[0] == 1
    assert world.sends("paid") == [("hello", parse_instant("2026-03-04T00:00:00Z"))]
    assert world.sends("free") == []
    world.contact(id="free", plan="paid")
    assert world.sends("free") == [("hello", parse_instant("2026-03-07T08:00:00Z"))]


def test_a_contact_the_segment_lets_in_by_attribute_is_not_rechecked_either(
    world: World,
) -> None:
    rechecks = _count_rechecks(world)
    condition = "(contact.vip or false) or days_since(contact.trial_started) >= 3"
    world.load(plan(SegmentTrigger(condition=condition, recheck=Duration(seconds=3600))))
    world.contact(id="vip", vip=True, trial_started="2026-03-01")
    world.contact(id="other", vip=False, trial_started="2026-03-01")
    world.finish(timedelta(days=5))
    assert rechecks[0] == 1  # the other one's, when its three days are up
    assert world.sends("vip") == [("hello", parse_instant("2026-03-02T08:00:00Z"))]
    assert world.sends("other") == [("hello", parse_instant("2026-03-04T00:00:00Z"))]


def test_arming_and_rechecking_a_batch_reads_the_journeys_ticks_once(world: World) -> None:
    reads = [0]
    original = world.store.get_journey_state

    def counting(journey_id: str) -> Any:
        reads[0] += 1
        return original(journey_id)

    world.store.get_journey_state = counting  # type: ignore[method-assign]
    condition = "days_since(contact.trial_started) >= 3"
    segment = plan(SegmentTrigger(condition=condition, recheck=Duration(seconds=3600)))
    for number in range(20):  # stored before the journey is seen: armed in one pass
        attributes = {"trial_started": "2026-03-01"}
        email, consent = f"c{number}@example.com", {"email": True}
        world.store.put_contact(
            Contact(id=f"c{number}", email=email, consent=consent, attributes=attributes)
        )
    world.load(segment)
    assert reads[0] <= 3  # the activation's own look, its write, the ticks for all 20
    armed = world.store.get_trigger_states("j", [f"c{n}" for n in range(20)])
    assert {s.next_fire_at for s in armed.values()} == {parse_instant("2026-03-04T00:00:00Z")}
    world.finish(timedelta(days=3))
    assert sorted(world.sends()) == [("hello", parse_instant("2026-03-04T00:00:00Z"))] * 20

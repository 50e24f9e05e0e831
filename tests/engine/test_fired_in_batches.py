"""A per-contact time trigger fires for a whole batch of contacts at once: the audience of
each is evaluated with event counts read for the batch in one go (journey.engine.
history_ahead). Whoever is in the batch, and however the contacts are grouped, every
contact's audience must answer as it does alone, and the journey must enter, step and
send exactly the same contacts."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey.assembly import memory_store
from journey.engine.context import EngineSettings
from journey.engine.history_ahead import CountsAhead
from journey.engine.runner import StoreHistory
from journey.engine.triggers import audience_holds, trigger_entry
from journey.localtime import parse_instant
from journey.model import (
    END,
    BranchArm,
    BranchStep,
    Contact,
    Duration,
    Event,
    InactivityTrigger,
    Plan,
    ScheduleTrigger,
    SegmentTrigger,
    SendStep,
)
from tests.engine.engine_world import World

MONDAY = parse_instant("2026-03-02T08:00:00Z")
ZONES = ("Europe/Stockholm", "Asia/Shanghai", "America/New_York", "Europe/London", None)
NAMES = ("session_started", "order_placed")
AUDIENCES = (
    "has_event('session_started', within='30d') or has_event('order_placed', within='60d')",
    "contact.digest and event_count('session_started', within='7d') >= 2",
    "not has_event('order_placed')",
    "event_count('session_started') > 1 and contact.plan in ['monthly', 'weekly']",
    "has_event('session_started', within=contact.window)",  # the contact's own window
    "event_count('order_placed', within='10d') | string == '1'",  # the sandbox, not a closure
    "has_event(contact.plan)",  # a name that is not text for some contacts
    "contact.nope.deeper",  # an error: nobody
)

contacts_with_events = st.lists(
    st.fixed_dictionaries(
        {
            "zone": st.sampled_from(ZONES),
            "digest": st.booleans(),
            "plan": st.sampled_from(["monthly", "weekly", "trial", None, 3]),
            "window": st.sampled_from([None, "3d", "10d", "2w", "bogus"]),
            "events": st.lists(
                st.tuples(st.sampled_from(NAMES), st.integers(-2, 24 * 90)), max_size=6
            ),
        }
    ),
    min_size=1,
    max_size=12,
)


def schedule_plan(audience: str, *steps: Any) -> Plan:
    return Plan(
        journey_id="digest",
        name="Digest",
        kind="engagement",
        trigger=ScheduleTrigger(cron="0 8 * * MON", timezone="contact"),
        audience=audience,
        reentry="always",
        steps=tuple(steps) or (SendStep(id="digest", next=END, channel="email", template="t/x"),),
    )


def stored(people: list[dict[str, Any]]) -> tuple[Any, list[Contact]]:
    store = memory_store()
    contacts = []
    for number, person in enumerate(people):
        attributes = {k: person[k] for k in ("digest", "plan", "window") if person[k] is not None}
        contact = Contact(id=f"c{number}", timezone=person["zone"], attributes=attributes)
        store.put_contact(contact)
        contacts.append(contact)
        for index, (name, hours_ago) in enumerate(person["events"]):
            at = MONDAY - timedelta(hours=hours_ago)
            store.add_event(
                Event(id=f"{contact.id}-{index}", name=name, contact_id=contact.id, timestamp=at)
            )
    return store, contacts


@settings(max_examples=150, deadline=None)
@given(people=contacts_with_events, audience=st.sampled_from(AUDIENCES))
def test_each_contacts_audience_answers_in_a_batch_as_it_does_alone(
    people: list[dict[str, Any]], audience: str
) -> None:
    store, contacts = stored(people)
    plan, engine = schedule_plan(audience), EngineSettings(declared_attributes=("window",))
    entry = trigger_entry("schedule", MONDAY)
    batch = CountsAhead(store, [c.id for c in contacts])
    for contact in contacts:
        alone = StoreHistory(store, contact.id)
        in_batch = batch.history(contact.id, alone)

        def answer(history: Any, who: Contact = contact) -> Any:
            try:
                return audience_holds(plan, who, history, MONDAY, engine, entry=entry)
            except Exception as error:  # the failure itself must be the same
                return type(error)

        assert answer(in_batch) == answer(alone), contact


def test_the_digest_reaches_the_recently_active_in_every_zone(tmp_path: Path) -> None:
    world = World(tmp_path, MONDAY - timedelta(hours=10), batch_size=3)
    world.load(schedule_plan(AUDIENCES[0]))
    zones = ZONES[:4]
    for zone in zones:
        for who in ("recent", "lapsed", "buyer", "silent"):
            world.contact(id=f"{who}-{zone}", timezone=zone)
    world.advance(timedelta(hours=1))
    for zone in zones:
        world.store.add_event(_event("session_started", f"recent-{zone}", days_ago=3))
        world.store.add_event(_event("session_started", f"lapsed-{zone}", days_ago=40))
        world.store.add_event(_event("order_placed", f"buyer-{zone}", days_ago=50))
    world.finish(timedelta(days=6))
    reached = {contact_id for contact_id, _ in _sends(world)}
    assert reached == {f"{who}-{zone}" for zone in zones for who in ("recent", "buyer")}
    # each at 08:00 on Monday in the contact's own zone
    for contact_id, at in _sends(world):
        zone = contact_id.split("-", 1)[1]
        local = at.astimezone(ZoneInfo(zone))
        assert (local.weekday(), local.hour) == (0, 8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=contacts_with_events, audience=st.sampled_from(AUDIENCES[:5]))
def test_any_grouping_of_the_contacts_enters_steps_and_sends_the_same(
    people: list[dict[str, Any]], audience: str
) -> None:
    branch = BranchStep(
        id="engaged",
        arms=(BranchArm(condition="has_event('session_started', within='2d')", goto=END),),
        next="nudge",
    )
    nudge = SendStep(id="nudge", next=END, channel="email", template="t/nudge")
    plan = schedule_plan(audience, branch, nudge)
    runs = [_run(plan, people, size) for size in (1, 4, 500)]
    assert runs[0] == runs[1] == runs[2]


def _run(plan: Plan, people: list[dict[str, Any]], batch_size: int) -> tuple[Any, ...]:
    with tempfile.TemporaryDirectory() as folder:
        world = World(Path(folder), MONDAY - timedelta(hours=10), batch_size=batch_size)
        world.settings = EngineSettings(declared_attributes=("window",))
        world.load(plan)
        for number, person in enumerate(people):
            fields = {k: person[k] for k in ("digest", "plan", "window") if person[k] is not None}
            world.contact(id=f"c{number}", timezone=person["zone"], **fields)
            for index, (name, hours_ago) in enumerate(person["events"]):
                at = MONDAY - timedelta(hours=hours_ago)
                event_id, contact_id = f"c{number}-{index}", f"c{number}"
                world.store.add_event(
                    Event(id=event_id, name=name, contact_id=contact_id, timestamp=at)
                )
        world.finish(timedelta(days=15))
        happened = sorted(
            (h.contact_id, h.at, h.kind, h.step_id, h.reason) for h in world.happenings
        )
        enrollments = []
        for number in range(len(people)):
            for count in range(1, 4):
                enrollment = world.store.get_enrollment(f"digest:c{number}:{count}")
                if enrollment is not None:
                    records = world.store.step_records(enrollment.id)
                    steps = [(r.step_id, r.outcome, r.at) for r in records]
                    enrollments.append((enrollment, steps))
        counts = world.store.journey_counts("digest")
        world.store.close()
        return happened, enrollments, counts


def _event(name: str, contact_id: str, *, days_ago: int) -> Event:
    at = MONDAY - timedelta(days=days_ago)
    return Event(id=f"{name}-{contact_id}", name=name, contact_id=contact_id, timestamp=at)


def _sends(world: World) -> list[tuple[str, datetime]]:
    return [(h.contact_id, h.at) for h in world.happenings if h.kind == "send"]


def test_a_segment_launched_over_existing_contacts_enters_those_its_audience_lets_in(
    tmp_path: Path,
) -> None:
    world = World(tmp_path, MONDAY)
    for number in range(7):
        world.store.put_contact(
            Contact(id=f"c{number}", attributes={"score": number, "code": number % 2 or None})
        )
    world.store.add_event(_event("order_placed", "c5", days_ago=3))
    segment = SegmentTrigger(condition="contact.score >= 3", include_existing=True)
    audience = "contact.code is not none or has_event('order_placed', within='7d')"
    world.load(replace(schedule_plan(audience), trigger=segment))
    world.finish(timedelta(hours=2))
    assert sorted(h.contact_id for h in world.happenings if h.kind == "enter") == [
        "c3",
        "c5",
    ]
    states = world.store.get_trigger_states("digest", [f"c{n}" for n in range(7)])
    assert [states[f"c{n}"].segment_match for n in range(7)] == [False] * 3 + [True] * 4


def test_inactivity_launched_over_existing_contacts_counts_from_each_ones_last_event(
    tmp_path: Path,
) -> None:
    world = World(tmp_path, MONDAY)
    for contact_id in ("recent", "older", "never"):
        world.store.put_contact(Contact(id=contact_id, created_at=MONDAY - timedelta(days=20)))
    world.store.add_event(_event("order_placed", "recent", days_ago=2))
    world.store.add_event(replace(_event("order_placed", "older", days_ago=9), id="o1"))
    world.store.add_event(_event("order_placed", "older", days_ago=6))
    trigger = InactivityTrigger(event="order_placed", for_=Duration(calendar_days=10))
    world.load(replace(schedule_plan("true"), trigger=trigger))
    world.finish(timedelta(days=12))
    entered = {h.contact_id: h.at for h in world.happenings if h.kind == "enter"}
    assert entered == {
        "never": MONDAY,  # created 20 days ago: due already, fired at launch
        "older": MONDAY + timedelta(days=4),
        "recent": MONDAY + timedelta(days=8),
    }

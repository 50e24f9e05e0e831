"""The past a simulation starts from: events before the start are stored as history, a
batch at a time, exactly as one `handle_event(event, history_only=True)` each stores
them; and whether an event enters a journey is answered without building the scope of
its expressions when there is no expression to evaluate."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from journey.engine.context import EngineSettings, EvalScope
from journey.engine.runner import HISTORY_BATCH, StoreHistory
from journey.engine.state import Entry
from journey.engine.triggers import audience_holds, event_fires, fires_on, scope_for
from journey.errors import ExpressionError
from journey.model import (
    Contact,
    DateTrigger,
    Duration,
    Event,
    EventTrigger,
    Plan,
    SegmentTrigger,
)
from tests.engine.engine_world import World
from tests.engine.test_triggers import plan

START = datetime.fromisoformat("2026-03-02T08:00:00+00:00")


def _past(count: int) -> list[Event]:
    """Sorted past events: repeated ids, some received already, one erased contact's."""
    events = []
    for number in range(count):
        at = START - timedelta(days=30) + timedelta(minutes=number)
        received = at + timedelta(seconds=5) if number % 3 == 0 else None
        events.append(
            Event(
                id=f"e{number % (count - 40)}",  # the last 40 ids were seen before
                name=("order_placed", "signed_up", "opened")[number % 3],
                contact_id=("ana", "bo", "gone")[number % 7 % 3],
                timestamp=at,
                properties={"n": number},
                received_at=received,
            )
        )
    return events


def _world(tmp_path: Path, name: str) -> World:
    (tmp_path / name).mkdir()
    world = World(tmp_path / name, START)
    world.load(plan(EventTrigger(event="signed_up")))
    for contact_id in ("ana", "bo", "gone"):
        world.contact(id=contact_id)
    assert world.store.delete_contact("gone")
    return world


def _events_table(world: World) -> list[tuple[object, ...]]:
    with sqlite3.connect(world.tmp / "state.db") as conn:
        return conn.execute("SELECT rowid, * FROM events ORDER BY rowid").fetchall()


def test_past_events_are_stored_in_batches_as_one_by_one_and_enter_nobody(
    tmp_path: Path,
) -> None:
    past = _past(2 * HISTORY_BATCH + 123)
    later = [
        Event(id="now", name="signed_up", contact_id="ana", timestamp=START),
        Event(id="after", name="signed_up", contact_id="bo", timestamp=START),
    ]
    batched, one_by_one = _world(tmp_path, "batched"), _world(tmp_path, "one_by_one")
    assert batched.runner is not None and one_by_one.runner is not None

    playing = iter(past + later)
    upcoming = batched.runner.store_history(playing, START)
    for event in past:
        one_by_one.runner.handle_event(event, history_only=True)

    assert upcoming == later[0]
    assert list(playing) == later[1:]  # the rest are left for the caller to play
    assert _events_table(batched) == _events_table(one_by_one)
    assert len(_events_table(batched)) == len({e.id for e in past if e.contact_id != "gone"})
    assert batched.store.latest_enrollment("j", "bo") is None  # history enters nobody


def test_no_event_before_the_start_stores_nothing(tmp_path: Path) -> None:
    world = _world(tmp_path, "world")
    assert world.runner is not None
    assert world.runner.store_history(iter([]), START) is None
    first = Event(id="e1", name="signed_up", contact_id="ana", timestamp=START)
    assert world.runner.store_history(iter([first]), START) == first
    assert _events_table(world) == []


def test_a_trigger_fires_as_event_fires_says_and_builds_a_scope_only_for_a_where(
    tmp_path: Path,
) -> None:
    world = _world(tmp_path, "world")
    contact = Contact(id="ana", timezone="Europe/Stockholm")
    history = StoreHistory(world.store, "ana")
    triggers = (
        EventTrigger(event="signed_up"),
        EventTrigger(event="signed_up", where="event.properties.plan == 'trial'"),
        EventTrigger(event="signed_up", where="event.properties.missing.deeper"),  # raises
        EventTrigger(event="opened", where="true"),
        SegmentTrigger(condition="true"),
        DateTrigger(attribute="birthday"),
    )
    for trigger in triggers:
        journey = plan(trigger)
        for name in ("signed_up", "opened", "order_placed"):
            for properties in ({"plan": "trial"}, {"plan": "pro"}):
                event = Event(
                    id="e", name=name, contact_id="ana", timestamp=START, properties=properties
                )
                fired, scopes_built = _both_ways(journey, event, contact, history)
                assert fired[0] == fired[1]
                where = getattr(trigger, "where", None)
                listening = getattr(trigger, "event", None) == name
                assert scopes_built == (1 if where and listening else 0)


def _both_ways(
    journey: Plan, event: Event, contact: Contact, history: StoreHistory
) -> tuple[tuple[bool | str, bool | str], int]:
    """(fires_on's answer, event_fires' answer), and how many scopes fires_on built."""
    built: list[EvalScope] = []

    def scope() -> EvalScope:
        made = scope_for(journey, contact, history, START, EngineSettings(), event=event)
        built.append(made)
        return made

    lazy = _answer(lambda: fires_on(journey, event, scope))
    count = len(built)
    return (lazy, _answer(lambda: event_fires(journey, event, scope()))), count


def _answer(ask: Callable[[], bool]) -> bool | str:
    try:
        return ask()
    except ExpressionError:
        return "error"


def test_a_journey_without_an_audience_lets_everyone_in(tmp_path: Path) -> None:
    world = _world(tmp_path, "world")
    history = StoreHistory(world.store, "ana")
    entry = Entry(name="signed_up", timestamp=START, properties={})
    for audience, expected in ((None, True), ("", True), ("contact.plan == 'pro'", False)):
        journey = plan(EventTrigger(event="signed_up"), audience=audience)
        who = Contact(id="ana", attributes={"plan": "trial"})
        assert (
            audience_holds(journey, who, history, START, EngineSettings(), entry=entry) is expected
        )


def test_an_event_received_later_than_the_max_trigger_age_enters_nobody(tmp_path: Path) -> None:
    """Two calendar days are 48 hours of a UTC clock, whatever the contact's zone."""
    world = World(tmp_path, START)
    journey = plan(EventTrigger(event="signed_up"), max_trigger_age=Duration(calendar_days=2))
    world.load(journey)
    ages = {"ana": timedelta(hours=48), "bo": timedelta(hours=48, seconds=1), "cy": timedelta()}
    for contact_id, age in ages.items():
        world.contact(id=contact_id, timezone="Europe/Stockholm")
        assert world.runner is not None
        world.runner.handle_event(
            Event(
                id=f"e-{contact_id}",
                name="signed_up",
                contact_id=contact_id,
                timestamp=START - age,
                received_at=START,
            )
        )
    entered = {c for c in ages if world.store.latest_enrollment("j", c) is not None}
    assert entered == {"ana", "cy"}

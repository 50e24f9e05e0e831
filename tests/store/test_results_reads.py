"""The store's results reads, on every backend: enrollments with every arm and the steps
reached, messages, events."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from journey.engine.state import StepRecord
from journey.model import Event
from journey.store.abc import StateStore
from tests.store.test_state_store import T0, delivery, enrollment


def test_an_enrollment_keeps_every_arm_and_when_each_step_was_first_reached(
    store: StateStore,
) -> None:
    first = replace(enrollment(1), arms={"holdout": "treated", "subject": "b"}, split_arm="b")
    store.insert_enrollment(first)
    later = replace(enrollment(2, journey="j2"), entered_at=T0 + timedelta(days=2))
    store.insert_enrollment(later)
    store.add_step_records(
        [
            StepRecord(enrollment_id=first.id, journey_id="j1", contact_id="c1", step_id=s,
                       outcome="done", at=T0 + timedelta(minutes=n), detail="")
            for n, s in enumerate(["holdout", "subject", "holdout"])
        ]
    )  # fmt: skip
    store.save_enrollment(replace(first, converted_at=T0 + timedelta(days=1)))
    kept = store.get_enrollment(first.id)
    assert kept is not None and kept.arms == {"holdout": "treated", "subject": "b"}
    [outcome] = store.enrollment_outcomes("j1")
    assert outcome.arms == {"holdout": "treated", "subject": "b"}
    assert outcome.reached == {"holdout": T0, "subject": T0 + timedelta(minutes=1)}
    assert outcome.converted_at == T0 + timedelta(days=1)
    assert store.get_enrollment(first.id) == replace(first, converted_at=T0 + timedelta(days=1))
    assert store.enrollment_outcomes("j2", since=T0 + timedelta(days=3)) == []
    assert [o.enrollment_id for o in store.enrollment_outcomes("j2", since=T0)] == [later.id]


def test_messages_are_read_per_journey_or_all_and_from_a_moment_on(store: StateStore) -> None:
    store.add_delivery(delivery("k1"))
    store.add_delivery(replace(delivery("k2", at=T0 + timedelta(days=1)), journey_id="j2"))
    store.mark_sent([("k1", 1)], T0 + timedelta(minutes=5))
    touches = store.message_touches()
    assert [t.message_id for t in touches] == ["k1", "k2"]
    assert touches[0].reached_contact and not touches[1].reached_contact
    assert touches[0].sent_at == T0 + timedelta(minutes=5)
    assert [t.message_id for t in store.message_touches("j2")] == ["k2"]
    assert [t.message_id for t in store.message_touches(since=T0 + timedelta(hours=1))] == ["k2"]


def test_events_are_read_by_name_oldest_first(store: StateStore) -> None:
    for number, name in enumerate(["order_placed", "signed_up", "order_placed"]):
        at = T0 + timedelta(hours=3 - number)
        store.add_event(Event(id=f"e{number}", name=name, contact_id="c1", timestamp=at,
                              properties={"total": 10 * number}, received_at=at))  # fmt: skip
    assert [e.id for e in store.events_named(["order_placed"])] == ["e2", "e0"]
    assert [e.id for e in store.events_named(["order_placed"], since=T0 + timedelta(hours=2))] == [
        "e0"
    ]
    assert store.events_named([]) == []


def test_events_are_read_for_some_contacts_and_the_latest_one_is_known(store: StateStore) -> None:
    for number in range(6):
        at = T0 + timedelta(hours=number)
        name = "order_placed" if number % 3 else "signed_up"
        store.add_event(Event(id=f"e{number}", name=name, contact_id=f"c{number % 2}",
                              timestamp=at, received_at=at))  # fmt: skip
    names = ["order_placed", "signed_up"]
    everyone = store.events_named(names)
    assert [e.id for e in store.events_named(names, contact_ids=["c1", "nobody"])] == [
        e.id for e in everyone if e.contact_id == "c1"
    ]
    assert store.events_named(names, contact_ids=[]) == []
    assert [e.id for e in store.events_named(["signed_up"], since=T0, contact_ids={"c0"})] == ["e0"]
    assert store.last_event_named_at(names) == T0 + timedelta(hours=5)
    assert store.last_event_named_at(["signed_up"]) == T0 + timedelta(hours=3)
    assert store.last_event_named_at(["nothing"]) is None
    assert store.last_event_named_at([]) is None

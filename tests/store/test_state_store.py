"""Every state store (tests/support/backends.py): dedupe, one active enrollment, claims, erasure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from journey.engine.state import (
    DeliveryRecord,
    Enrollment,
    Entry,
    StepRecord,
    TriggerState,
    delivery_key,
)
from journey.engine.steps import exited
from journey.errors import StoreError
from journey.model import Contact, Event
from journey.records import JourneyState
from journey.store.abc import StateStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def enrollment(number: int = 1, *, due: datetime | None = T0, journey: str = "j1") -> Enrollment:
    return Enrollment(
        id=f"{journey}:c1:{number}",
        journey_id=journey,
        contact_id="c1",
        plan_hash="h",
        entered_at=T0,
        entry=Entry(name="signed_up", timestamp=T0, properties={"plan": "trial"}),
        step_id="welcome",
        step_entered_at=T0,
        due_at=due,
        visits={"welcome": 1},
    )


def delivery(key: str, *, at: datetime = T0, category: str = "marketing") -> DeliveryRecord:
    return DeliveryRecord(
        delivery_key=key,
        enrollment_id="j1:c1:1",
        journey_id="j1",
        step_id="welcome",
        contact_id="c1",
        channel="email",
        kind="email",
        category=category,
        payload={"subject": "Hi"},
        created_at=at,
        next_attempt_at=at,
    )


def test_events_with_the_same_id_are_stored_once(store: StateStore) -> None:
    event = Event(id="e1", name="order_placed", contact_id="c1", timestamp=T0)
    assert store.add_event(event) is True
    assert store.add_event(event) is False
    assert store.count_events("c1", "order_placed", None, T0) == 1
    assert store.last_event_at("c1", "order_placed", T0 + timedelta(days=1)) == T0
    assert (
        store.count_events(
            "c1",
            "order_placed",
            T0 + timedelta(seconds=1),
            T0 + timedelta(days=1),
        )
        == 0
    )


def test_first_event_at_or_after_an_instant_includes_future_ones(store: StateStore) -> None:
    for hours in (0, 5, 30):
        store.add_event(
            Event(
                id=f"e{hours}",
                name="login",
                contact_id="c1",
                timestamp=T0 + timedelta(hours=hours),
            )
        )
    store.add_event(Event(id="other", name="login", contact_id="c2", timestamp=T0))
    assert store.first_event_at("c1", "login", T0) == T0
    assert store.first_event_at("c1", "login", T0 + timedelta(hours=1)) == T0 + timedelta(hours=5)
    assert store.first_event_at("c1", "login", T0 + timedelta(hours=6)) == T0 + timedelta(hours=30)
    assert store.first_event_at("c1", "login", T0 + timedelta(days=2)) is None
    assert store.first_event_at("c1", "purchase", T0) is None


def test_one_active_enrollment_per_journey_and_contact(store: StateStore) -> None:
    assert store.insert_enrollment(enrollment(1)) is True
    assert store.insert_enrollment(enrollment(2)) is False
    assert store.insert_enrollment(enrollment(1, journey="j2")) is True
    first = store.get_enrollment("j1:c1:1")
    assert first is not None and first.entry.properties == {"plan": "trial"}
    from dataclasses import replace

    store.save_enrollment(replace(first, status="exited", exit_reason="completed", exited_at=T0))
    assert store.insert_enrollment(enrollment(2)) is True
    latest = store.latest_enrollment("j1", "c1")
    assert latest is not None and latest.id == "j1:c1:2"
    assert store.count_enrollments("j1", "c1") == 2


def test_claims_hand_out_due_work_once_until_the_lease_expires(store: StateStore) -> None:
    store.insert_enrollment(enrollment(1))
    store.insert_enrollment(enrollment(1, journey="j2", due=T0 + timedelta(hours=1)))
    lease = T0 + timedelta(minutes=5)
    claimed = store.claim_due_enrollments(T0, 10, worker="a", lease_until=lease)
    assert [e.id for e in claimed] == ["j1:c1:1"]
    assert store.claim_due_enrollments(T0, 10, worker="b", lease_until=lease) == []
    later = T0 + timedelta(minutes=10)
    again = store.claim_due_enrollments(later, 10, worker="b", lease_until=later)
    assert [e.id for e in again] == ["j1:c1:1"]
    skipped = store.claim_due_enrollments(
        T0 + timedelta(hours=2), 10, worker="c", lease_until=later, skip_journeys=["j1"]
    )
    assert [e.journey_id for e in skipped] == ["j2"]


def test_delivery_keys_are_idempotent_and_deterministic(store: StateStore) -> None:
    key = delivery_key("j1:c1:1", "welcome", 1)
    assert key == delivery_key("j1:c1:1", "welcome", 1)
    assert key != delivery_key("j1:c1:1", "welcome", 2)
    assert store.add_delivery(delivery(key)) is True
    assert store.add_delivery(delivery(key)) is False
    claimed = store.claim_due_deliveries(T0, 5, worker="w", lease_until=T0 + timedelta(minutes=1))
    assert [d.delivery_key for d in claimed] == [key]
    store.update_delivery(key, status="sent", attempts=1, sent_at=T0)
    stored = store.get_delivery(key)
    assert stored is not None and stored.status == "sent" and stored.sent_at == T0


def test_marketing_send_times_count_marketing_only(store: StateStore) -> None:
    store.add_delivery(delivery("a", at=T0))
    store.add_delivery(delivery("b", at=T0 + timedelta(hours=1), category="transactional"))
    store.add_delivery(delivery("c", at=T0 + timedelta(hours=2)))
    assert store.marketing_send_times("c1", T0) == [T0 + timedelta(hours=2)]


def test_delete_contact_removes_every_row_about_the_contact(store: StateStore) -> None:
    store.put_contact(Contact(id="c1", email="a@example.com", created_at=T0))
    store.put_contact(Contact(id="c2", created_at=T0))
    store.add_event(Event(id="e1", name="x", contact_id="c1", timestamp=T0))
    store.insert_enrollment(enrollment(1))
    store.add_step_records(
        [
            StepRecord(
                enrollment_id="j1:c1:1",
                journey_id="j1",
                contact_id="c1",
                step_id="welcome",
                outcome="sent",
                at=T0,
            )
        ]
    )
    store.add_delivery(delivery("k"))
    store.put_trigger_states([TriggerState(journey_id="j1", contact_id="c1", next_fire_at=T0)])
    assert store.delete_contact("c1") is True
    assert store.get_contact("c1") is None
    assert store.count_events("c1", "x", None, T0) == 0
    assert store.known_event_ids(["e1"]) == set()
    assert store.get_enrollment("j1:c1:1") is None
    assert store.step_records("j1:c1:1") == []
    assert store.get_delivery("k") is None
    assert store.get_trigger_state("j1", "c1") is None
    assert store.is_erased("c1")  # type: ignore[attr-defined]
    assert store.journey_counts("j1").entered == 0
    assert store.get_contact("c2") is not None
    assert store.delete_contact("c1") is False


def test_next_due_at_is_the_earliest_pending_work(store: StateStore) -> None:
    assert store.next_due_at(["j1", "j"]) is None
    store.insert_enrollment(enrollment(1, due=T0 + timedelta(hours=3)))
    store.put_trigger_states(
        [TriggerState(journey_id="j", contact_id="c", next_fire_at=T0 + timedelta(hours=2))]
    )
    store.put_journey_state(JourneyState(journey_id="j", next_fire_at=T0 + timedelta(hours=1)))
    assert store.next_due_at(["j1", "j"]) == T0 + timedelta(hours=1)


def test_transaction_rolls_back_on_error(store: StateStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.put_contact(Contact(id="c9", created_at=T0))
        raise RuntimeError("boom")
    assert store.get_contact("c9") is None


def test_contacts_round_trip_and_iterate_in_batches(store: StateStore) -> None:
    for number in range(5):
        store.put_contact(
            Contact(
                id=f"c{number}",
                consent={"email": True},
                attributes={"plan": "trial"},
                created_at=T0,
            )
        )
    batches = list(store.iter_contacts(batch_size=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert batches[0][0].consent == {"email": True}
    assert store.count_contacts() == 5
    assert set(store.get_contacts(["c1", "c3", "nobody"])) == {"c1", "c3"}


def test_counts_for_status(store: StateStore) -> None:
    store.insert_enrollment(enrollment(1))
    store.add_step_records(
        [
            StepRecord(
                enrollment_id="j1:c1:1",
                journey_id="j1",
                contact_id="c1",
                step_id="welcome",
                outcome="sent",
                at=T0,
            )
        ]
    )
    store.add_delivery(delivery("k"))
    counts = store.journey_counts("j1")
    assert counts.entered == 1 and counts.active == 1
    assert counts.steps["welcome"].outcomes == {"sent": 1}
    assert counts.steps["welcome"].waiting == 1
    assert counts.deliveries == {"pending": 1}
    assert counts.steps["welcome"].exited == {}


def test_counts_say_where_contacts_left_and_why(store: StateStore) -> None:
    store.insert_enrollment(enrollment(1))
    store.add_step_records([_step("j1:c1:1", "welcome")])
    store.save_enrollment(exited(enrollment(1), "goal", T0))
    assert store.insert_enrollment(enrollment(2))  # re-entry once the first has ended
    store.add_step_records([_step("j1:c1:2", "welcome")])
    store.save_enrollment(replace(exited(enrollment(2), "completed", T0), step_id="end"))
    counts = store.journey_counts("j1")
    assert counts.steps["welcome"].exited == {"goal": 1}
    assert "end" not in counts.steps  # completed is the journey's own count
    assert counts.exited == {"goal": 1, "completed": 1}


def test_trigger_states_for_many_contacts_come_back_in_one_call(store: StateStore) -> None:
    ids = [f"c{n}" for n in range(1_200)]  # more than one `IN (...)` chunk
    store.put_trigger_states(
        [
            TriggerState(journey_id="seg", contact_id=c, segment_match=n % 2 == 0)
            for n, c in enumerate(ids)
        ]
        + [TriggerState(journey_id="other", contact_id="c1", segment_match=True)]
    )
    states = store.get_trigger_states("seg", [*ids, "nobody"])
    assert len(states) == 1_200
    assert states["c0"].segment_match is True and states["c1"].segment_match is False
    assert "nobody" not in states
    assert store.get_trigger_states("other", ids)["c1"].segment_match is True
    assert store.get_trigger_states("seg", []) == {}


def _step(enrollment_id: str, step_id: str) -> StepRecord:
    return StepRecord(
        enrollment_id=enrollment_id,
        journey_id="j1",
        contact_id="c1",
        step_id=step_id,
        outcome="sent",
        at=T0,
    )


def test_a_failed_unit_of_work_is_undone_alone(store: StateStore) -> None:
    with store.transaction():
        store.put_contact(Contact(id="c1", created_at=T0))
        store.add_step_records([_step("j1:c1:1", "before")])  # buffered, not yet written
        with pytest.raises(RuntimeError), store.savepoint():
            store.put_contact(Contact(id="c2", created_at=T0))
            store.add_step_records([_step("j1:c1:1", "undone")])
            store.add_event(Event(id="e-undone", name="x", contact_id="c2", timestamp=T0))
            raise RuntimeError("half-way")
        with store.savepoint():
            store.put_contact(Contact(id="c3", created_at=T0))
    assert store.get_contact("c1") is not None and store.get_contact("c3") is not None
    assert store.get_contact("c2") is None
    assert store.known_event_ids(["e-undone"]) == set()
    assert [r.step_id for r in store.step_records("j1:c1:1")] == ["before"]


def test_a_savepoint_needs_a_transaction(store: StateStore) -> None:
    with pytest.raises(StoreError), store.savepoint():
        pass

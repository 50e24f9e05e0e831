"""Typed journey state, the store's secrets, and read-ahead that never outlives its transaction."""

from __future__ import annotations

from datetime import timedelta

from journey.model import END, EventTrigger, Plan, SendStep
from journey.records import JourneyState, StepOutcome, StepRecord, TriggerState
from journey.store.abc import StateStore
from tests.store.contract.conftest import OpenStores
from tests.store.contract.records import T0, contact, enrollment, event


def test_journey_state_round_trips_as_a_record(store: StateStore) -> None:
    state = JourneyState(
        journey_id="weekly",
        trigger="schedule",
        activated_at=T0,
        next_fire_at=T0 + timedelta(days=7),
        last_fired_at=T0 - timedelta(days=7),
        trigger_hash="5e" * 32,
    )
    store.put_journey_state(state)
    assert store.get_journey_state("weekly") == state
    assert store.get_journey_state("other") is None
    store.put_journey_state(JourneyState(journey_id="weekly", trigger="segment"))
    assert store.get_journey_state("weekly") == JourneyState(journey_id="weekly", trigger="segment")


def test_next_due_at_sees_enrollments_triggers_and_journey_clocks(store: StateStore) -> None:
    assert store.next_due_at(["j1"]) is None
    store.insert_enrollment(enrollment(due=T0 + timedelta(hours=3)))
    store.put_trigger_states(
        [TriggerState(journey_id="j1", contact_id="c1", next_fire_at=T0 + timedelta(hours=2))]
    )
    assert store.next_due_at(["j1"]) == T0 + timedelta(hours=2)
    store.put_journey_state(JourneyState(journey_id="j1", next_fire_at=T0 + timedelta(hours=1)))
    assert store.next_due_at(["j1"]) == T0 + timedelta(hours=1)


def test_next_due_at_follows_every_write_of_the_transaction_that_asks(store: StateStore) -> None:
    # a virtual clock asks before every event it feeds; the answer may be kept only
    # while nothing it depends on was written, and never past a rollback
    with store.transaction():
        assert store.next_due_at(["j1"]) is None
        assert store.inbox_size() == 0
        store.add_event(event("e1"))  # history only: the answers stay
        assert store.next_due_at(["j1"]) is None
        store.insert_enrollment(enrollment(due=T0 + timedelta(hours=3)))
        assert store.next_due_at(["j1"]) == T0 + timedelta(hours=3)
        assert store.next_due_at(["j2"]) is None
        store.enqueue([("event", {"id": "e2"})], T0)
        assert store.inbox_size() == 1
        try:
            with store.savepoint():
                store.save_enrollment(enrollment(due=T0 + timedelta(hours=1)))
                assert store.next_due_at(["j1"]) == T0 + timedelta(hours=1)
                raise RuntimeError("undone")
        except RuntimeError:
            pass
        assert store.next_due_at(["j1"]) == T0 + timedelta(hours=3)
    try:
        with store.transaction():
            store.save_enrollment(enrollment(due=T0 + timedelta(minutes=5)))
            assert store.next_due_at(["j1"]) == T0 + timedelta(minutes=5)
            raise RuntimeError("undone")
    except RuntimeError:
        pass
    assert store.next_due_at(["j1"]) == T0 + timedelta(hours=3)
    assert store.inbox_size() == 1


def test_next_due_at_sees_what_another_worker_committed(store_factory: OpenStores) -> None:
    reader, writer = store_factory(), store_factory()
    with reader.transaction():
        assert reader.next_due_at(["j1"]) is None
        assert reader.inbox_size() == 0
    writer.insert_enrollment(enrollment(due=T0 + timedelta(hours=2)))
    writer.enqueue([("event", {"id": "e1"})], T0)
    assert reader.next_due_at(["j1"]) == T0 + timedelta(hours=2)
    with reader.transaction():
        assert reader.next_due_at(["j1"]) == T0 + timedelta(hours=2)
        assert reader.inbox_size() == 1
    writer.save_enrollment(enrollment(due=T0 + timedelta(hours=1)))
    with reader.transaction():
        assert reader.next_due_at(["j1"]) == T0 + timedelta(hours=1)


def test_a_store_secret_is_made_once_and_shared(store_factory: OpenStores) -> None:
    first, second = store_factory(), store_factory()
    assert first.store_secret("links", lambda: "made-first") == "made-first"
    assert second.store_secret("links", lambda: "made-second") == "made-first"
    assert second.store_secret("other", lambda: "another") == "another"


def test_read_ahead_answers_like_the_queries_inside_its_transaction(store: StateStore) -> None:
    store.put_contact(contact("c1"))
    store.insert_enrollment(enrollment())
    with store.transaction():
        store.read_ahead(["c1", "c2"])
        assert [e.id for e in store.active_enrollments("c1")] == ["j1:c1:1"]
        assert store.get_contact("c2") is None
        store.insert_enrollment(enrollment(journey="j2"))  # a write in the same transaction
        assert [e.journey_id for e in store.active_enrollments("c1")] == ["j1", "j2"]
        latest = store.latest_enrollment("j2", "c1")
        assert latest is not None and latest.id == "j2:c1:1"


def test_read_ahead_is_forgotten_when_its_transaction_commits(store_factory: OpenStores) -> None:
    reader, writer = store_factory(), store_factory()
    reader.put_contact(contact("c1"))
    with reader.transaction():
        reader.read_ahead(["c1"])
        assert reader.active_enrollments("c1") == []
    writer.insert_enrollment(enrollment())  # another worker, after the commit
    writer.put_contact(contact("c1", attributes={"plan": "pro"}))
    assert [e.id for e in reader.active_enrollments("c1")] == ["j1:c1:1"]
    with reader.transaction():
        assert [e.id for e in reader.active_enrollments("c1")] == ["j1:c1:1"]
        assert reader.count_enrollments("j1", "c1") == 1
        found = reader.get_contact("c1")
        assert found is not None and found.attributes == {"plan": "pro"}


def test_read_ahead_is_forgotten_when_its_transaction_rolls_back(
    store_factory: OpenStores,
) -> None:
    reader, writer = store_factory(), store_factory()
    try:
        with reader.transaction():
            reader.read_ahead(["c1"])
            assert reader.latest_enrollment("j1", "c1") is None
            raise RuntimeError("undone")
    except RuntimeError:
        pass
    writer.insert_enrollment(enrollment())
    with reader.transaction():
        latest = reader.latest_enrollment("j1", "c1")
        assert latest is not None and latest.id == "j1:c1:1"
        assert [e.id for e in reader.unconverted_enrollments("j1", "c1")] == ["j1:c1:1"]


def a_plan(journey_id: str = "j1") -> Plan:
    step = SendStep(id="welcome", next=END, channel="email", template="t/x", message="email")
    return Plan(
        journey_id=journey_id,
        name="J",
        kind="onboarding",
        trigger=EventTrigger(event="signed_up"),
        steps=(step,),
        plan_hash=f"hash-of-{journey_id}",
    )


def test_a_plan_is_kept_by_its_hash_and_shared(store_factory: OpenStores) -> None:
    here, there = store_factory(), store_factory()
    plan = a_plan()
    here.save_plan(plan)
    here.save_plan(plan)  # saving the same version again is harmless
    found = there.get_plan(plan.plan_hash)
    assert found is not None and found.plan_hash == plan.plan_hash
    assert there.get_plan("no-such-hash") is None


def test_a_plan_saved_in_an_undone_transaction_is_not_found(store_factory: OpenStores) -> None:
    store = store_factory()
    plan = a_plan("undone")
    try:
        with store.transaction():
            store.save_plan(plan)
            assert store.get_plan(plan.plan_hash) is not None
            raise RuntimeError("undone")
    except RuntimeError:
        pass
    assert store.get_plan(plan.plan_hash) is None
    assert store_factory().get_plan(plan.plan_hash) is None


def test_journey_counts_group_a_sends_records_by_why(store: StateStore) -> None:
    def line(number: int, outcome: StepOutcome, detail: str) -> StepRecord:
        return StepRecord(
            enrollment_id=f"e{number}", journey_id="j", contact_id=f"c{number}",
            step_id="announce", outcome=outcome, at=T0, detail=detail,
        )  # fmt: skip

    store.add_step_records(
        [
            line(1, "sent", "via email (push: no push consent)"),
            line(2, "sent", "via email (push: no push consent)"),
            line(3, "sent", ""),
            line(4, "suppressed", "push: no push consent; email: unsubscribed from news"),
        ]
    )
    step = store.journey_counts("j").steps["announce"]
    assert step.outcomes == {"sent": 3, "suppressed": 1}
    assert step.details == {
        "sent: via email (push: no push consent)": 2,
        "suppressed: push: no push consent; email: unsubscribed from news": 1,
    }

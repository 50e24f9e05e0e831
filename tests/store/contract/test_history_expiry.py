"""Retention of the history tables: old events, step history and finished deliveries go;
live deliveries and everything newer than the cutoff stay, on every backend."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from journey.records import StepRecord
from journey.store.abc import StateStore
from tests.store.contract.records import T0, delivery, event

OLD = T0 - timedelta(days=400)  # January 2025: a month wholly before the cutoff
CUTOFF = T0 - timedelta(days=200)  # mid-August 2025
DAY = timedelta(days=1)


def step(at: datetime, outcome: str = "sent") -> StepRecord:
    return StepRecord(
        enrollment_id="j1:c1:1",
        journey_id="j1",
        contact_id="c1",
        step_id="welcome",
        outcome=outcome,  # type: ignore[arg-type]
        at=at,
    )


def old_and_new_history(store: StateStore) -> None:
    store.add_events([event("old-1", at=OLD), event("old-2", at=OLD + DAY), event("new", at=T0)])
    store.add_step_records([step(OLD), step(T0, "delivered")])
    for key, status in (("old-sent", "sent"), ("old-failed", "failed"), ("new-sent", "sent")):
        store.add_delivery(replace(delivery(key, due=T0 if key == "new-sent" else OLD)))
        store.update_delivery(key, status=status)


def test_history_older_than_the_cutoff_is_forgotten_and_counted(store: StateStore) -> None:
    old_and_new_history(store)
    expired = store.expire_history(CUTOFF)
    assert (expired.events, expired.step_records, expired.deliveries) == (2, 1, 2)
    assert expired.total == 5
    assert store.count_events("c1", "opened", None, T0 + DAY) == 1
    assert [r.at for r in store.step_records("j1:c1:1")] == [T0]
    assert store.get_delivery("old-sent") is None
    assert store.get_delivery("new-sent") is not None
    assert store.expire_history(CUTOFF).total == 0  # nothing left to expire


def test_live_deliveries_survive_retention_however_old(store: StateStore) -> None:
    store.add_delivery(delivery("old-pending", due=OLD))
    for key, status in (
        ("old-parked", "parked"),
        ("old-dead", "dead"),
        ("old-unsure", "unconfirmed"),
    ):
        store.add_delivery(delivery(key, due=OLD))
        store.update_delivery(key, status=status)
    assert store.expire_history(CUTOFF).deliveries == 0
    [due] = store.claim_due_deliveries(T0, 10, worker="w", lease_until=T0 + DAY)
    assert due.delivery_key == "old-pending"  # still claimed, sent and marked as ever
    store.mark_sent([(due, 1)], T0)
    assert store.get_delivery("old-pending").status == "sent"  # type: ignore[union-attr]
    for key in ("old-parked", "old-dead", "old-unsure"):
        assert store.get_delivery(key) is not None
    # once sent it is history like any other, and a later expiry takes it
    assert store.expire_history(CUTOFF).deliveries == 1


def test_a_delivery_key_and_an_event_id_stay_once_across_expiry(store: StateStore) -> None:
    store.add_delivery(delivery("kept", due=T0))
    store.add_event(event("kept-event", at=T0))
    store.expire_history(CUTOFF)
    assert store.add_delivery(delivery("kept", due=T0)) is False
    assert store.add_event(event("kept-event", at=T0 + DAY)) is False


def test_events_at_hostile_instants_are_stored_and_the_ancient_ones_expire(
    store: StateStore,
) -> None:
    ancient = datetime(1901, 1, 1, tzinfo=UTC)
    far_future = datetime(2999, 12, 31, 23, 59, tzinfo=UTC)
    assert store.add_event(event("ancient", at=ancient)) is True
    assert store.add_event(event("far-future", at=far_future)) is True
    assert store.add_event(event("far-future", at=far_future)) is False
    assert store.last_event_at("c1", "opened", far_future) == far_future
    assert store.expire_history(CUTOFF).events == 1
    assert store.first_event_at("c1", "opened", ancient) == far_future


def test_an_expired_id_is_new_again(store: StateStore) -> None:
    """Once retention forgot an event or a finished delivery, its id is stored again (the id
    is what deduplication remembers, and it remembers only what history keeps)."""
    old_and_new_history(store)
    store.expire_history(CUTOFF)
    assert store.add_event(event("old-1", at=OLD)) is True
    assert store.add_event(event("new", at=T0)) is False
    assert store.add_delivery(delivery("old-sent", due=OLD)) is True
    assert store.add_delivery(delivery("new-sent", due=T0)) is False

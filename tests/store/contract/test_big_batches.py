"""Big batches in one transaction: `journey ingest --history --batch-size 20000`, a worker's
inbox batch, a fire that writes a delivery for every contact. Each id and key is still kept
once, however many one transaction writes (PostgreSQL: no per-key entry in the server's
shared lock table, which holds about 6,400 for the whole server)."""

from __future__ import annotations

from datetime import timedelta

from journey.store.abc import StateStore
from tests.store.contract.records import T0, delivery, event

BATCH = 20_000  # over three times the ~6,400 keys PostgreSQL's default lock table holds


def test_twenty_thousand_events_in_one_call_are_each_stored_once(store: StateStore) -> None:
    events = [
        event(f"e{n:05}", contact_id=f"c{n % 500}", at=T0 + timedelta(seconds=n))
        for n in range(BATCH)
    ]
    store.add_events(events)
    store.add_events(events)  # sent again: nothing new
    assert store.count_events("c7", "opened", None, T0 + timedelta(days=1)) == BATCH // 500
    assert not store.add_event(events[-1])
    found = store.events_by_id([e.id for e in events[:3]])
    assert [found[e.id].timestamp for e in events[:3]] == [e.timestamp for e in events[:3]]


def test_twenty_thousand_deliveries_in_one_transaction_are_each_kept_once(
    store: StateStore,
) -> None:
    keys = [f"k{n:05}" for n in range(BATCH)]
    with store.transaction():
        added = [
            store.add_delivery(delivery(key, contact_id=f"c{n}")) for n, key in enumerate(keys)
        ]
    assert all(added)
    with store.transaction():
        again = [store.add_delivery(delivery(key)) for key in keys]
    assert not any(again)
    claimed = store.claim_due_deliveries(T0, BATCH, worker="w", lease_until=T0 + timedelta(hours=1))
    assert sorted(d.delivery_key for d in claimed) == keys

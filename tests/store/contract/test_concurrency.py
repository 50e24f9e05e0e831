"""Many workers on one store: each item done once, none lost, a dead worker's leases taken over.

Workers run as threads and as spawned processes, each with its own store on the
shared database. Time is virtual: a "killed" worker claims at T0 with a short
lease and never completes; the live workers claim later, after that lease ended.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from pathlib import Path

import pytest

from journey.records import DeliveryRecord, LeaseLost
from journey.store.abc import StateStore
from tests.store.contract.conftest import OpenStores
from tests.store.contract.records import MINUTE, T0, delivery, enrollment
from tests.store.contract.workers import drain_deliveries, drain_enrollments, sent_lines

ITEMS = 300
LATER = T0 + 10 * MINUTE  # when the live workers claim: the killed worker's lease has ended


def seed_deliveries(store: StateStore) -> None:
    with store.transaction():
        for n in range(ITEMS):
            store.add_delivery(delivery(f"k{n:03}", contact_id=f"c{n}"))


def killed_worker_claims(store: StateStore) -> list[DeliveryRecord]:
    """Claims a batch with a lease ending at T0 + 1 min, then "dies" (never completes it)."""
    claimed = store.claim_due_deliveries(T0, 25, worker="killed", lease_until=T0 + MINUTE)
    assert len(claimed) == 25
    return claimed


def assert_each_sent_once(store: StateStore, tmp_path: Path, done: list[str]) -> None:
    sends = Counter(sent_lines(tmp_path))
    assert len(sends) == ITEMS  # none lost
    assert [key for key, count in sends.items() if count > 1] == []  # none sent twice
    assert sorted(done) == sorted(sends)
    for n in range(ITEMS):
        found = store.get_delivery(f"k{n:03}")
        assert found is not None and found.status == "sent" and found.attempts == 1


def test_threads_send_every_delivery_exactly_once(
    store_factory: OpenStores, tmp_path: Path
) -> None:
    store = store_factory("shared")
    seed_deliveries(store)
    stale = killed_worker_claims(store)
    url = store_factory.url("shared")
    results: dict[str, list[str]] = {}
    together = threading.Barrier(3, timeout=60)  # all start claiming at once

    def run(worker: str) -> None:
        together.wait()
        results[worker] = drain_deliveries(url, tmp_path, worker, LATER, 7)

    threads = [threading.Thread(target=run, args=(f"t{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
    assert_each_sent_once(store, tmp_path, [k for keys in results.values() for k in keys])
    with pytest.raises(LeaseLost):  # the dead worker wakes up: its write is refused
        store.mark_sent([(record, 1) for record in stale], T0)


def test_processes_send_every_delivery_exactly_once(
    store_factory: OpenStores, tmp_path: Path
) -> None:
    store = store_factory("shared")
    seed_deliveries(store)
    stale = killed_worker_claims(store)
    url = store_factory.url("shared")
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(3) as pool:
        jobs = [
            pool.apply_async(drain_deliveries, (url, tmp_path, f"p{n}", LATER, 7)) for n in range(3)
        ]
        done = [key for job in jobs for key in job.get(timeout=120)]
    assert_each_sent_once(store, tmp_path, done)
    with pytest.raises(LeaseLost):
        store.update_delivery(stale[0], status="dead", last_error="woke up late")
    found = store.get_delivery(stale[0].delivery_key)
    assert found is not None and found.status == "sent"


def test_processes_complete_every_enrollment_exactly_once(store_factory: OpenStores) -> None:
    store = store_factory("shared")
    with store.transaction():
        for n in range(ITEMS):
            store.insert_enrollment(enrollment(f"c{n}"))
    stale = store.claim_due_enrollments(T0, 25, worker="killed", lease_until=T0 + MINUTE)
    url = store_factory.url("shared")
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(2) as pool:
        jobs = [pool.apply_async(drain_enrollments, (url, f"p{n}", LATER, 9)) for n in range(2)]
        done = Counter(eid for job in jobs for eid in job.get(timeout=120))
    assert len(done) == ITEMS and set(done.values()) == {1}
    assert {e.id for e in stale} <= set(done)  # the killed worker's claims were taken over
    for n in range(ITEMS):
        found = store.get_enrollment(f"j1:c{n}:1")
        assert found is not None and found.status == "exited"
    with pytest.raises(LeaseLost):
        store.save_enrollment(stale[0])

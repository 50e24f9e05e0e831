"""A journey clock's fire is pending work per shard: added once, worked through in contact id
order a batch at a time, finished once, and a second worker goes on where the first ended."""

from __future__ import annotations

import threading
from dataclasses import replace

from journey.records import ShardFire
from journey.shards import SHARD_COUNT, shard_of
from journey.store.abc import StateStore
from tests.store.contract.conftest import OpenStores
from tests.store.contract.records import MINUTE, T0, contact


def people_in_one_shard(count: int) -> tuple[int, list[str]]:
    """`count` contact ids of one shard, sorted, and that shard."""
    ids = [f"c{n:04d}" for n in range(2000)]
    shard = shard_of(ids[0])
    return shard, sorted(cid for cid in ids if shard_of(cid) == shard)[:count]


def pending_on(store: StateStore, shard: int, journey: str = "weekly") -> ShardFire:
    fires = store.pending_shard_fires([journey], worker="w", limit=SHARD_COUNT * 4)
    (fire,) = [f for f in fires if f.shard == shard]
    return fire


def work_through(store: StateStore, fire: ShardFire, batch: int) -> list[list[str]]:
    """Batches of contact ids until the fire is finished on its shard, progress saved each."""
    batches: list[list[str]] = []
    while True:
        with store.transaction():
            found = store.next_in_shard_fire(fire, batch)
            if found is None:
                return batches
            stored, contacts = found
            batches.append([c.id for c in contacts])
            store.save_shard_fire(
                replace(
                    stored,
                    after=contacts[-1].id if contacts else stored.after,
                    done_at=T0 if len(contacts) < batch else None,
                )
            )


def test_a_fire_is_added_on_every_shard_once(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    assert a.add_shard_fires("weekly", T0, "schedule") == SHARD_COUNT
    assert b.add_shard_fires("weekly", T0, "schedule") == 0  # the racing second caller
    fires = b.pending_shard_fires(["weekly", "other"], worker="b", limit=1000)
    assert sorted(f.shard for f in fires) == list(range(SHARD_COUNT))
    assert {(f.journey_id, f.fire_at, f.kind, f.after) for f in fires} == {
        ("weekly", T0, "schedule", None)
    }
    assert all(f.lease is not None and f.lease.worker == "b" for f in fires)
    assert b.pending_shard_fires(["other"], worker="b", limit=1000) == []


def test_pending_fires_come_oldest_first(store: StateStore) -> None:
    store.add_shard_fires("weekly", T0 + MINUTE, "schedule")
    store.add_shard_fires("daily", T0, "schedule")
    fires = store.pending_shard_fires(["weekly", "daily"], worker="w", limit=SHARD_COUNT + 1)
    assert [f.journey_id for f in fires[:SHARD_COUNT]] == ["daily"] * SHARD_COUNT
    assert fires[SHARD_COUNT].journey_id == "weekly"


def test_a_shards_contacts_come_in_id_order_and_progress_is_kept(store: StateStore) -> None:
    shard, ids = people_in_one_shard(7)
    for cid in reversed([*ids, "elsewhere"]):
        store.put_contact(contact(cid))
    store.add_shard_fires("weekly", T0, "schedule")
    fire = pending_on(store, shard)
    assert work_through(store, fire, 3) == [ids[:3], ids[3:6], ids[6:]]
    left = store.pending_shard_fires(["weekly"], worker="w", limit=99)
    assert shard not in {f.shard for f in left} and len(left) == SHARD_COUNT - 1
    assert work_through(store, fire, 3) == []  # finished: nobody gets it twice


def test_a_batch_undone_leaves_the_progress_where_it_was(store: StateStore) -> None:
    shard, ids = people_in_one_shard(4)
    for cid in ids:
        store.put_contact(contact(cid))
    store.add_shard_fires("weekly", T0, "schedule")
    fire = pending_on(store, shard)
    try:
        with store.transaction():
            found = store.next_in_shard_fire(fire, 2)
            assert found is not None
            store.save_shard_fire(replace(found[0], after=found[1][-1].id))
            raise RuntimeError("the batch failed")
    except RuntimeError:
        pass
    assert work_through(store, pending_on(store, shard), 10) == [ids]


def test_a_later_fire_forgets_finished_ones_and_keeps_unfinished(store: StateStore) -> None:
    shard, ids = people_in_one_shard(1)
    store.put_contact(contact(ids[0]))
    store.add_shard_fires("weekly", T0, "schedule")
    work_through(store, pending_on(store, shard), 10)
    store.add_shard_fires("weekly", T0 + MINUTE, "schedule")
    assert store.add_shard_fires("weekly", T0, "schedule") == 1  # only the finished one was gone
    fires = store.pending_shard_fires(["weekly"], worker="w", limit=SHARD_COUNT * 2)
    assert len([f for f in fires if f.fire_at == T0]) == SHARD_COUNT


def test_erasing_the_last_contact_done_keeps_the_progress_without_its_id(
    store: StateStore,
) -> None:
    shard, ids = people_in_one_shard(4)
    for cid in ids:
        store.put_contact(contact(cid))
    store.add_shard_fires("weekly", T0, "schedule")
    fire = pending_on(store, shard)
    with store.transaction():
        found = store.next_in_shard_fire(fire, 2)
        assert found is not None
        store.save_shard_fire(replace(found[0], after=ids[1]))
    store.delete_contact(ids[1])
    again = pending_on(store, shard)
    assert again.after == ids[0]  # the contact before it: done already
    assert work_through(store, again, 10) == [ids[2:]]
    store.delete_contact(ids[0])  # nothing done before it in its shard: still past it
    store.add_shard_fires("weekly", T0 + MINUTE, "schedule")
    first = pending_on(store, shard)
    with store.transaction():
        found = store.next_in_shard_fire(first, 1)
        assert found is not None
        store.save_shard_fire(replace(found[0], after=ids[2]))
    store.delete_contact(ids[2])
    assert pending_on(store, shard).after == ""
    assert work_through(store, pending_on(store, shard), 10) == [[ids[3]]]


def test_a_second_worker_waits_for_a_batch_in_flight_and_goes_on_after_it(
    store_factory: OpenStores,
) -> None:
    a, b = store_factory(), store_factory()
    shard, ids = people_in_one_shard(4)
    for cid in ids:
        a.put_contact(contact(cid))
    a.add_shard_fires("weekly", T0, "schedule")
    seen: list[list[str]] = []
    started = threading.Event()

    def second_worker() -> None:
        started.set()
        seen.extend(work_through(b, pending_on(b, shard), 10))

    with a.transaction():
        found = a.next_in_shard_fire(pending_on(a, shard), 2)
        assert found is not None
        worker = threading.Thread(target=second_worker)
        worker.start()
        started.wait()
        worker.join(0.5)  # it waits for the batch in flight to end
        assert worker.is_alive()
        a.save_shard_fire(replace(found[0], after=found[1][-1].id))
    worker.join(30)
    assert found[1] and [c.id for c in found[1]] == ids[:2]
    assert seen == [ids[2:]]

"""A contact's shard is the same number in Python and in the PostgreSQL store's shard column."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from journey.records import TriggerState
from journey.shards import SHARD_COUNT, shard_of, worker_name
from tests.support.backends import PostgresBackend


def test_shards_spread_contacts_and_stay_put() -> None:
    ids = [f"c{n:05d}" for n in range(2000)]
    shards = [shard_of(cid) for cid in ids]
    assert shards == [shard_of(cid) for cid in ids]
    assert set(shards) == set(range(SHARD_COUNT))
    assert max(shards.count(s) for s in range(SHARD_COUNT)) < 3 * 2000 / SHARD_COUNT


def test_the_store_computes_the_shard_python_does(tmp_path: Path) -> None:
    backend = PostgresBackend()
    store = backend.open(tmp_path, "shards")
    ids = ["c00001", "zoë@example.com", "", "a" * 300, "日本-42"]
    try:
        store.put_trigger_states(
            [
                TriggerState(journey_id="j", contact_id=cid, next_fire_at=datetime.now(UTC))
                for cid in ids
            ]
        )
        rows = store._all("SELECT contact_id, shard FROM trigger_state")  # type: ignore[attr-defined]
    finally:
        store.close()
        backend.close()
    assert dict(rows) == {cid: shard_of(cid) for cid in ids}


def test_every_worker_name_is_its_own() -> None:
    assert len({worker_name() for _ in range(50)}) == 50

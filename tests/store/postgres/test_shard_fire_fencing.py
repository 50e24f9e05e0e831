"""A worker whose shard was taken over writes nothing more of that shard's part of a fire."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from journey.records import LeaseLost
from journey.shards import SHARD_COUNT
from journey.store.postgres import PostgresStore
from tests.support.backends import PostgresBackend

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def backend() -> Iterator[PostgresBackend]:
    made = PostgresBackend()
    yield made
    made.close()


def test_the_old_holder_of_a_shard_taken_over_is_refused_mid_fire(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    store = PostgresStore(backend.url(tmp_path, "fencing"))
    try:
        store.sharded = True
        store._run(  # "a" holds shard 0, as its shard keeper would have it
            "UPDATE shards SET holder = 'a', epoch = epoch + 1,"
            " expires_at = now() + interval '1 minute' WHERE shard = 0"
        )
        store.add_shard_fires("weekly", T0, "schedule")
        (fire,) = store.pending_shard_fires(["weekly"], worker="a", limit=SHARD_COUNT)
        assert fire.shard == 0 and fire.lease is not None and fire.lease.epoch == 1
        assert store.pending_shard_fires(["weekly"], worker="b", limit=SHARD_COUNT) == []
        store._run("UPDATE shards SET holder = 'b', epoch = epoch + 1 WHERE shard = 0")
        with pytest.raises(LeaseLost), store.transaction():
            store.next_in_shard_fire(fire, 10)
        with pytest.raises(LeaseLost):
            store.save_shard_fire(replace(fire, done_at=T0))
        (theirs,) = store.pending_shard_fires(["weekly"], worker="b", limit=SHARD_COUNT)
        assert theirs.after is None and theirs.done_at is None  # nothing of a's was kept
    finally:
        store.close()

"""PostgreSQL store: journey clock fires pending per shard, fenced by the shard's epoch.

A fire is one row per (journey, fire instant, shard), added with `ON CONFLICT
DO NOTHING`. A worker works on the rows of the shards it holds; each batch
locks its row (`FOR UPDATE`), so a worker taking the shard over waits for a
batch still in flight and then reads where it ended. Every read and write of a
batch checks the shard is still held under the epoch the worker found
(`shards.epoch` moves on at each take-over): the old holder's batch is refused
(`LeaseLost`) and rolled back with every enrollment it made.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from journey.model import Contact
from journey.records import Lease, LeaseLost, ShardFire
from journey.shards import SHARD_COUNT
from journey.store import codec
from journey.store.postgres import rows as pg
from journey.store.postgres.connection import PostgresConnection

HELD_FOREVER = datetime.max.replace(tzinfo=UTC)  # a store not sharded holds every shard
_FIRE_COLUMNS = "f.journey_id, f.fire_at, f.shard, f.kind, f.after_contact, f.done_at"
_KEY = "f.journey_id = %s AND f.fire_at = %s AND f.shard = %s"


def _fire_from_row(row: tuple[Any, ...], lease: Lease | None) -> ShardFire:
    return ShardFire(
        journey_id=row[0],
        fire_at=pg.instant(row[1]),
        shard=int(row[2]),
        kind=row[3],
        after=row[4],
        done_at=pg.utc(row[5]),
        lease=lease,
    )


class PostgresFires(PostgresConnection):
    def add_shard_fires(self, journey_id: str, fire_at: datetime, kind: str) -> int:
        with self.transaction():
            self._run(
                "DELETE FROM shard_fires WHERE journey_id = %s AND fire_at < %s"
                " AND done_at IS NOT NULL",
                (journey_id, fire_at),
            )
            return self._run(
                "INSERT INTO shard_fires (journey_id, fire_at, shard, kind)"
                " SELECT %s, %s, s, %s FROM generate_series(0, %s) AS s"
                " ON CONFLICT DO NOTHING",
                (journey_id, fire_at, kind, SHARD_COUNT - 1),
            )

    def pending_shard_fires(
        self, journey_ids: Iterable[str], *, worker: str, limit: int
    ) -> list[ShardFire]:
        ids = list(journey_ids)
        if not ids:
            return []
        held = " AND s.holder = %s AND s.expires_at > now()" if self.sharded else ""
        rows = self._all(
            f"SELECT {_FIRE_COLUMNS}, s.epoch, s.expires_at FROM shard_fires f"
            f" JOIN shards s ON s.shard = f.shard{held}"
            " WHERE f.done_at IS NULL AND f.journey_id = ANY(%s)"
            " ORDER BY f.fire_at, f.journey_id, f.shard LIMIT %s",
            (*((worker,) if self.sharded else ()), ids, limit),
        )
        return [
            _fire_from_row(
                row,
                Lease(
                    worker=worker,
                    epoch=int(row[6]),
                    expires_at=pg.instant(row[7]) if self.sharded else HELD_FOREVER,
                ),
            )
            for row in rows
        ]

    def _check_shard(self, fire: ShardFire) -> None:
        """LeaseLost unless the fire's shard is still held by its worker, at its epoch."""
        lease = fire.lease
        if not self.sharded or lease is None:
            return
        if not self._one(
            "SELECT 1 FROM shards WHERE shard = %s AND holder = %s AND epoch = %s"
            " AND expires_at > now()",
            (fire.shard, lease.worker, lease.epoch),
        ):
            what = f"fire of {fire.journey_id} at {fire.fire_at} on shard {fire.shard}"
            raise LeaseLost(what, lease)

    def next_in_shard_fire(
        self, fire: ShardFire, limit: int
    ) -> tuple[ShardFire, list[Contact]] | None:
        row = self._one(
            f"SELECT {_FIRE_COLUMNS} FROM shard_fires f WHERE {_KEY} FOR UPDATE",
            (fire.journey_id, fire.fire_at, fire.shard),
        )
        self._check_shard(fire)
        if row is None or row[5] is not None:
            return None
        stored = _fire_from_row(row, fire.lease)
        contacts = self._all(
            f"SELECT {codec.CONTACT_COLUMNS} FROM contacts WHERE shard = %s"
            " AND (%s::text IS NULL OR id > %s) ORDER BY id LIMIT %s",
            (fire.shard, stored.after, stored.after, limit),
        )
        return stored, [pg.contact_from_row(c) for c in contacts]

    def save_shard_fire(self, fire: ShardFire) -> None:
        with self.transaction():
            self._check_shard(fire)
            self._run(
                f"UPDATE shard_fires AS f SET after_contact = %s, done_at = %s WHERE {_KEY}",
                (fire.after, fire.done_at, fire.journey_id, fire.fire_at, fire.shard),
            )

"""SQLite store: journey clock fires pending per shard, and the contacts of one shard.

One daemon works on a file and holds every shard, so a fire's lease never
changes hands here: its epoch is 0 and nothing is fenced. Transactions are
`BEGIN IMMEDIATE`, so the read of a fire's progress in `next_in_shard_fire`
and the write of the next one never interleave with another writer's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from journey.model import Contact
from journey.records import Lease, ShardFire
from journey.shards import SHARD_COUNT
from journey.store import codec
from journey.store.sqlite_connection import SQLiteConnection

HELD_FOREVER = datetime.max.replace(tzinfo=UTC)  # the lease of a shard nobody else can take
_FIRE_COLUMNS = "journey_id, fire_at, shard, kind, after_contact, done_at"


def _fire_from_row(row: tuple[object, ...], lease: Lease | None = None) -> ShardFire:
    return ShardFire(
        journey_id=str(row[0]),
        fire_at=datetime.fromisoformat(str(row[1])),
        shard=int(str(row[2])),
        kind=str(row[3]),
        after=None if row[4] is None else str(row[4]),
        done_at=None if row[5] is None else datetime.fromisoformat(str(row[5])),
        lease=lease,
    )


class SQLiteFires(SQLiteConnection):
    def add_shard_fires(self, journey_id: str, fire_at: datetime, kind: str) -> int:
        at = codec.ts(fire_at)
        with self.transaction():
            self._conn.execute(
                "DELETE FROM shard_fires WHERE journey_id = ? AND fire_at < ?"
                " AND done_at IS NOT NULL",
                (journey_id, at),
            )
            cursor = self._conn.executemany(
                "INSERT OR IGNORE INTO shard_fires (journey_id, fire_at, shard, kind)"
                " VALUES (?, ?, ?, ?)",
                [(journey_id, at, shard, kind) for shard in range(SHARD_COUNT)],
            )
        return cursor.rowcount

    def pending_shard_fires(
        self, journey_ids: Iterable[str], *, worker: str, limit: int
    ) -> list[ShardFire]:
        ids = list(journey_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._all(
            f"SELECT {_FIRE_COLUMNS} FROM shard_fires WHERE done_at IS NULL"
            f" AND journey_id IN ({marks}) ORDER BY fire_at, journey_id, shard LIMIT ?",
            (*ids, limit),
        )
        lease = Lease(worker=worker, epoch=0, expires_at=HELD_FOREVER)
        return [_fire_from_row(row, lease) for row in rows]

    def next_in_shard_fire(
        self, fire: ShardFire, limit: int
    ) -> tuple[ShardFire, list[Contact]] | None:
        row = self._one(
            f"SELECT {_FIRE_COLUMNS} FROM shard_fires"
            " WHERE journey_id = ? AND fire_at = ? AND shard = ?",
            (fire.journey_id, codec.ts(fire.fire_at), fire.shard),
        )
        if row is None or row[5] is not None:
            return None
        stored = _fire_from_row(row, fire.lease)
        contacts = self._all(
            f"SELECT {codec.CONTACT_COLUMNS} FROM contacts WHERE shard = ?"
            " AND (? IS NULL OR id > ?) ORDER BY id LIMIT ?",
            (fire.shard, stored.after, stored.after, limit),
        )
        return stored, [codec.contact_from_row(c) for c in contacts]

    def save_shard_fire(self, fire: ShardFire) -> None:
        self._conn.execute(
            "UPDATE shard_fires SET after_contact = ?, done_at = ?"
            " WHERE journey_id = ? AND fire_at = ? AND shard = ?",
            (
                fire.after,
                codec.ts(fire.done_at),
                fire.journey_id,
                codec.ts(fire.fire_at),
                fire.shard,
            ),
        )

"""PostgreSQL store: an event id and a delivery key are stored once, without a unique index.

The history tables are partitioned by time, and a unique index on a partitioned
table must hold the partition column, so `events (id)` and `deliveries
(delivery_key)` cannot be unique indexes. Each kind has instead a small
unpartitioned key table whose primary key is the id (`event_keys`,
`delivery_keys`: the key, the contact it is about, the row's partition time).
An insert first inserts the key (`ON CONFLICT DO NOTHING RETURNING`) and, in
the same statement, the history row only when the key was new. A second
inserter of the same key in another transaction waits on the first one's key
tuple — the wait is on that transaction, not on an entry per key in the
server's shared lock table, so one transaction may write any number of keys
(an advisory lock per key, as before, filled that table at some 6,400 keys and
failed with "out of shared memory") — and then finds the key committed (or,
if the first rolled back, inserts). A batch inserts its keys in key order, so
two batches never deadlock on each other.

A key row lives exactly as long as its history row: erasure deletes both by
contact id; retention drops the history rows by month and then `prune` deletes,
in short batches, the key rows older than the cutoff whose row is gone (live
deliveries of a dropped month stay, so do their keys); `journey store copy` and
the migration that made the tables fill them from the history rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class KeyTable:
    name: str  # the key table
    key: str  # its primary key, the history table's id column
    history: str  # the partitioned table it keeps keys of
    column: str  # the history table's partition column, copied into the key row

    @property
    def columns(self) -> str:
        return f"{self.key}, contact_id, {self.column}"

    def insert(self, history_columns: str, marks: str) -> str:
        """One row: its key, then (parameters after the key's three) the history row when new."""
        return (
            f"WITH new AS (INSERT INTO {self.name} ({self.columns}) VALUES (%s, %s, %s)"
            f" ON CONFLICT DO NOTHING RETURNING {self.key})"
            f" INSERT INTO {self.history} ({history_columns}) SELECT {marks} FROM new"
        )

    def fill(self) -> str:
        """The key of every history row (a new key table, a copied store)."""
        return (
            f"INSERT INTO {self.name} ({self.columns})"
            f" SELECT DISTINCT ON ({self.key}) {self.columns} FROM {self.history}"
            f" ORDER BY {self.key}, {self.column} ON CONFLICT DO NOTHING"
        )


EVENT_KEYS = KeyTable("event_keys", "id", "events", "timestamp")
DELIVERY_KEYS = KeyTable("delivery_keys", "delivery_key", "deliveries", "created_at")
KEY_TABLES = (EVENT_KEYS, DELIVERY_KEYS)
_START = datetime(1, 1, 1, tzinfo=UTC)  # before any instant PostgreSQL stores


def prune(conn: Any, table: KeyTable, before: datetime, batch: int) -> int:
    """Delete the keys older than `before` whose history row is gone; how many.

    Walks the keys in (time, key) order, a batch per short transaction, so
    a kept key is looked at once per run and a worker inserting waits for
    one batch at most.
    """
    removed, after = 0, (_START, "")
    while True:
        with conn.transaction():
            row = conn.execute(
                f"WITH batch AS (SELECT {table.key} AS k, {table.column} AS at FROM {table.name}"
                f" WHERE {table.column} < %s AND ({table.column}, {table.key}) > (%s, %s)"
                f" ORDER BY {table.column}, {table.key} LIMIT %s),"
                f" gone AS (DELETE FROM {table.name} USING batch"
                f" WHERE {table.name}.{table.key} = batch.k AND NOT EXISTS (SELECT 1"
                f" FROM {table.history} h WHERE h.{table.key} = batch.k"
                f" AND h.{table.column} = batch.at) RETURNING 1)"
                " SELECT (SELECT COUNT(*) FROM gone), (SELECT COUNT(*) FROM batch),"
                " last.at, last.k FROM (SELECT at, k FROM batch"
                " ORDER BY at DESC, k DESC LIMIT 1) AS last",
                (before, *after, batch),
            ).fetchone()
        if row is None:  # no key older than `before` after the last one
            return removed
        gone, seen, at, key = row
        removed += int(gone)
        if int(seen) < batch:
            return removed
        after = (at, key)

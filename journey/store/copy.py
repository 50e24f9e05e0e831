"""Copy a SQLite store into an empty PostgreSQL one: everything, so nothing is lost or sent twice.

Copied, table by table in one read snapshot and one write transaction (COPY
for the rows): contacts, events, plans, enrollments (in flight or ended) with
their step history, deliveries in every state (pending ones are sent by the
next daemon, sent ones never again, since the delivery key is what makes a
send happen once), the inbox of acknowledged but unprocessed items, per-contact
trigger state and the journey clocks, erasure tombstones and the store's keys
(`store_keys`: the erasure key, so tombstones still match, and the store's id,
so Message-IDs stay its own) with its unsubscribe keys (`unsubscribe_keys`,
so links already mailed keep working), each contact's subscription topics,
the journey clocks' fires still pending on a shard (`shard_fires`: a fire cut
short by the move is finished by the next daemon, from the contact it had
reached, so nobody enters twice or is skipped) and the splits' auto-winner
decisions (`split_decisions`: decided once, never again after the move).
What is not copied is in NOT_COPIED, each with its reason: leases are dropped
and fencing epochs start again at 0 (nobody holds work in a store being moved),
rate-limit buckets start full. The target's key tables (`event_keys`,
`delivery_keys`, which keep an id once across PostgreSQL's partitions) are
filled from the copied events and deliveries. Insertion follows the source's
row order, so tie-breaks by row order (and the inbox's arrival order) stay as
they were.

The caller holds both stores' daemon locks, so no daemon writes meanwhile.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from journey.errors import StoreError
from journey.store.postgres import PostgresStore
from journey.store.postgres.dedupe import KEY_TABLES as HISTORY_KEYS
from journey.store.sqlite import SQLiteStore


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: str  # as both schemas name them
    order: str  # the source's row order
    convert: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None
    where: str = "true"  # the source's rows that matter after the move


def _flags(*positions: int) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """SQLite's 0/1 integers as PostgreSQL booleans, at these positions."""

    def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            (None if v is None else bool(v)) if i in positions else v for i, v in enumerate(row)
        )

    return convert


TABLES: tuple[Table, ...] = (
    Table(
        "contacts",
        "id, email, phone, locale, timezone, created_at, consent, attributes, topics",
        "id",
    ),
    Table("events", "id, contact_id, name, timestamp, received_at, properties", "rowid"),
    Table("plans", "hash, journey_id, plan", "rowid"),
    Table(
        "enrollments",
        "id, journey_id, contact_id, plan_hash, status, step_id, step_entered_at, due_at,"
        " entered_at, entry, split_arm, exit_reason, exited_at, converted_at, state",
        "rowid",
    ),
    Table(
        "step_history",
        "enrollment_id, journey_id, contact_id, step_id, outcome, at, detail",
        "id",
    ),
    Table(
        "deliveries",
        "delivery_key, enrollment_id, journey_id, step_id, contact_id, channel, kind,"
        " category, payload, status, attempts, created_at, next_attempt_at, last_error, sent_at",
        "rowid",
    ),
    Table(
        "trigger_state",
        "journey_id, contact_id, next_fire_at, last_fired_at, segment_match",
        "rowid",
        _flags(4),
    ),
    Table(
        "journey_state",
        "journey_id, trigger, activated_at, next_fire_at, last_fired_at, trigger_hash",
        "rowid",
    ),
    Table("inbox", "kind, body, received_at", "seq"),
    Table("erased", "tombstone, erased_at, scrubbed, outboxes", "rowid", _flags(2, 3)),
    Table(
        "shard_fires",
        "journey_id, fire_at, shard, kind, after_contact, done_at",
        "rowid",
        where="done_at IS NULL",  # a finished fire's rows go at the journey's next fire
    ),
    Table("split_decisions", "journey_id, step_id, decided_at, winner, figures", "rowid"),
)
KEY_TABLES = ("store_keys", "unsubscribe_keys")  # copied by _copy_keys, _copy_unsubscribe_keys

# Tables of either schema deliberately left behind, and why (tests/store/test_copy.py
# fails on a table that is neither copied nor here).
NOT_COPIED: dict[str, str] = {
    "schema_version": "each store's own migrations",
    "sqlite_sequence": "SQLite's own bookkeeping",
    "rate_limits": "a bucket is full when first used and refills within seconds",
    "shards": "shard leases: nobody holds work in a store being moved",
    "workers": "the daemons working the target register themselves",
    "store_identity": "the target database's own (a database made again has another)",
    **{
        keys.name: f"PostgreSQL's own: filled from the copied {keys.history}"
        " (journey.store.postgres.dedupe)"
        for keys in HISTORY_KEYS
    },
}
# Columns of a copied table left behind (`column` of any table, or `table.column`): claims
# and their fencing epochs (leases, as above), each row's shard (PostgreSQL computes it;
# SQLite's is the same function of the id), when the target stored a plan (nothing reads
# it), row numbers the target makes again in the same order (insertion follows the
# source's), and SQLite's old journey state JSON (migration 5 moved it into columns).
NOT_COPIED_COLUMNS = frozenset(
    {
        *("claimed_by", "claim_expires_at", "claim_epoch", "shard"),
        *("plans.stored_at", "journey_state.state"),
        *("step_history.id", "inbox.seq", "enrollments.seq"),
    }
)


@dataclass(slots=True)
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_store(source: SQLiteStore, target: PostgresStore) -> CopyReport:
    """Copy every row of `source` into the empty `target`, all or nothing."""
    _require_empty(target)
    report = CopyReport()
    reader = source._conn
    reader.execute("BEGIN")  # one snapshot of the source
    try:
        with target.transaction(), target._connection() as conn:
            for table in TABLES:
                report.rows[table.name] = _copy_table(reader, conn, table)
            for keys in HISTORY_KEYS:  # each event id and delivery key kept once from now on
                conn.execute(keys.fill())
            report.rows["store_keys"] = _copy_keys(reader, conn)
            report.rows["unsubscribe_keys"] = _copy_unsubscribe_keys(reader, conn)
            for table in TABLES:  # what arrived is what was sent
                row = conn.execute(f"SELECT COUNT(*) FROM {table.name}").fetchone()
                if row is None or int(row[0]) != report.rows[table.name]:
                    raise StoreError(
                        f"copying {table.name}: {report.rows[table.name]} rows read but "
                        f"{row[0] if row else 0} stored; nothing was copied"
                    )
    finally:
        reader.execute("ROLLBACK")
    target._erasure_key = None  # the source's key from now on
    return report


def _copy_keys(reader: sqlite3.Connection, conn: Any) -> int:
    """The source's keys replace the target's (its own new erasure key among them)."""
    keys = reader.execute("SELECT purpose, key FROM store_keys ORDER BY purpose").fetchall()
    for purpose, key in keys:
        conn.execute(
            "INSERT INTO store_keys (purpose, key) VALUES (%s, %s)"
            " ON CONFLICT (purpose) DO UPDATE SET key = EXCLUDED.key",
            (purpose, key),
        )
    return len(keys)


def _copy_unsubscribe_keys(reader: sqlite3.Connection, conn: Any) -> int:
    """The source's unsubscribe keys replace the target's first one, oldest first."""
    keys = reader.execute(
        "SELECT key, created_at, retired_at FROM unsubscribe_keys ORDER BY id"
    ).fetchall()
    conn.execute("DELETE FROM unsubscribe_keys")
    for key, created_at, retired_at in keys:
        conn.execute(
            "INSERT INTO unsubscribe_keys (key, created_at, retired_at) VALUES (%s, %s, %s)",
            (key, created_at, retired_at),
        )
    return len(keys)


def _copy_table(reader: sqlite3.Connection, conn: Any, table: Table) -> int:
    cursor = reader.execute(
        f"SELECT {table.columns} FROM {table.name} WHERE {table.where} ORDER BY {table.order}"
    )
    count = 0
    with (
        conn.cursor() as writer,
        writer.copy(f"COPY {table.name} ({table.columns}) FROM STDIN") as copy,
    ):
        while True:
            rows: Sequence[tuple[Any, ...]] = cursor.fetchmany(1000)
            if not rows:
                break
            for row in rows:
                copy.write_row(table.convert(row) if table.convert else row)
            count += len(rows)
    return count


def _require_empty(target: PostgresStore) -> None:
    held = [
        table.name
        for table in TABLES
        if target._one(f"SELECT EXISTS (SELECT 1 FROM {table.name})")[0]
    ]
    if held:
        raise StoreError(
            f"{target.path} is not empty (it holds {', '.join(held)}); "
            "copy into a new, empty database so nothing is mixed"
        )

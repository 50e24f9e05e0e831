"""PostgreSQL store, the history tables by month: partitions made ahead, old ones dropped.

`events` (by `timestamp`), `step_history` (by `at`) and `deliveries` (by
`created_at`) are range-partitioned by calendar month (UTC), one partition per
month, named `<table>_yYYYYmMM`, and a DEFAULT partition (`<table>_default`)
takes any row no month partition holds — a hostile event a century away, a
month upkeep has not made yet — so an insert never fails for want of one.
The partition column is never updated, so a row never moves.

Upkeep (`expire`) makes the months from the cutoff to MONTHS_AHEAD ahead
(moving rows the DEFAULT partition held for them), drops each month wholly
older than the cutoff, and deletes old rows of the DEFAULT partition in
batches, then the key rows of what went (journey.store.postgres.dedupe).
Deliveries are history only once finished: before a month of
deliveries is dropped it is detached and its live rows (pending, parked, dead…)
are inserted again through the parent, where, their month gone, the DEFAULT
partition keeps them — same key, same `created_at` — until they finish.

Every change is one transaction under PARTITION_LOCK (one worker at a time;
the others skip) with a short `lock_timeout`: detaching and dropping take an
ACCESS EXCLUSIVE lock on the table, and a long transaction elsewhere must make
upkeep give up and try again at its next run, not queue every worker behind it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from journey.records import FINISHED_DELIVERY_STATUSES
from journey.store.postgres.dedupe import KEY_TABLES, prune

PARTITION_LOCK = 0x4A524E59_0003  # "JRNY" + 3: partition upkeep, one worker at a time
MONTHS_AHEAD = 3
LOCK_TIMEOUT = "2s"
DEFAULT_BATCH_ROWS = 5000
_MONTH_NAME = re.compile(r"_y(\d{4})m(\d{2})$")


@dataclass(frozen=True, slots=True)
class HistoryTable:
    name: str
    column: str  # the partition column: never updated
    columns: str  # what a copy writes (no generated column)
    finished: str = "true"  # the rows that are history (deliveries: finished ones only)


_FINISHED = ", ".join(f"'{status}'" for status in FINISHED_DELIVERY_STATUSES)
HISTORY_TABLES: tuple[HistoryTable, ...] = (
    HistoryTable("events", "timestamp", "id, contact_id, name, timestamp, received_at, properties"),
    HistoryTable(
        "step_history",
        "at",
        "id, enrollment_id, journey_id, contact_id, step_id, outcome, at, detail",
    ),
    HistoryTable(
        "deliveries",
        "created_at",
        "delivery_key, enrollment_id, journey_id, step_id, contact_id, channel, kind, category,"
        " payload, status, attempts, created_at, next_attempt_at, last_error, sent_at,"
        " claimed_by, claim_expires_at, claim_epoch",
        finished=f"status IN ({_FINISHED})",
    ),
)


def month_start(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def next_month(month: datetime) -> datetime:
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def partition_name(table: str, month: datetime) -> str:
    return f"{table}_y{month.year:04d}m{month.month:02d}"


def months(first: datetime, last: datetime) -> list[datetime]:
    """Every month start from `first`'s month to `last`'s, both included."""
    found, month = [], month_start(first)
    while month <= last:
        found.append(month)
        month = next_month(month)
    return found


def months_ahead(conn: Any) -> datetime:
    """The last month upkeep makes: MONTHS_AHEAD months after this one, by the database clock."""
    month = month_start(conn.execute("SELECT now()").fetchone()[0])
    for _ in range(MONTHS_AHEAD):
        month = next_month(month)
    return month


def partition_sql(table: str, month: datetime) -> str:
    return (
        f"CREATE TABLE {partition_name(table, month)} PARTITION OF {table}"
        f" FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')"
    )


def month_partitions(conn: Any, table: str) -> dict[datetime, str]:
    """The table's month partitions by month start (the DEFAULT partition is not one)."""
    found: dict[datetime, str] = {}
    for (name,) in conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = %s::regclass",
        (table,),
    ).fetchall():
        match = _MONTH_NAME.search(str(name))
        if match and str(name) == partition_name(table, _month(match)):
            found[_month(match)] = str(name)
    return found


def _month(match: re.Match[str]) -> datetime:
    return datetime(int(match.group(1)), int(match.group(2)), 1, tzinfo=UTC)


def _begin(conn: Any) -> bool:
    """Inside a transaction: take the upkeep lock, or False when another worker holds it."""
    conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    row = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (PARTITION_LOCK,)).fetchone()
    return bool(row[0])


def ensure_months(conn: Any, first: datetime, last: datetime) -> int:
    """Make every history table's month partitions from `first` to `last`; how many were made.

    Rows the DEFAULT partition holds for a month being made move into it (the
    DEFAULT partition is detached meanwhile, under the table's lock).
    """
    made = 0
    for table in HISTORY_TABLES:
        with conn.transaction():
            if not _begin(conn):
                return made
            have = month_partitions(conn, table.name)
            missing = [m for m in months(first, last) if m not in have]
            if not missing:
                continue
            default = f"{table.name}_default"
            held = [m for m in missing if _default_holds(conn, table, m)]
            if held:
                conn.execute(f"ALTER TABLE {table.name} DETACH PARTITION {default}")
            for month in missing:
                conn.execute(partition_sql(table.name, month))
                made += 1
            for month in held:
                within = f"{table.column} >= %s AND {table.column} < %s"
                bounds = (month, next_month(month))
                conn.execute(
                    f"INSERT INTO {partition_name(table.name, month)} ({table.columns})"
                    f" SELECT {table.columns} FROM {default} WHERE {within}",
                    bounds,
                )
                conn.execute(f"DELETE FROM {default} WHERE {within}", bounds)
            if held:
                conn.execute(f"ALTER TABLE {table.name} ATTACH PARTITION {default} DEFAULT")
    return made


def _default_holds(conn: Any, table: HistoryTable, month: datetime) -> bool:
    row = conn.execute(
        f"SELECT 1 FROM {table.name}_default WHERE {table.column} >= %s AND {table.column} < %s"
        " LIMIT 1",
        (month, next_month(month)),
    ).fetchone()
    return row is not None


@dataclass(slots=True)
class Expired:
    rows: dict[str, int]
    partitions_dropped: int = 0


def expire(conn: Any, before: datetime, batch_rows: int = DEFAULT_BATCH_ROWS) -> Expired:
    """Drop the months wholly older than `before`; delete older rows of the DEFAULT partitions."""
    done = Expired(rows={table.name: 0 for table in HISTORY_TABLES})
    for table in HISTORY_TABLES:
        with conn.transaction():
            if not _begin(conn):
                return done
            for month, name in sorted(month_partitions(conn, table.name).items()):
                if next_month(month) > before:
                    continue
                done.rows[table.name] += _drop(conn, table, name)
                done.partitions_dropped += 1
        done.rows[table.name] += _delete_from_default(conn, table, before, batch_rows)
        for keys in KEY_TABLES:  # the keys of the rows that went (journey.store.postgres.dedupe)
            if keys.history == table.name:
                prune(conn, keys, before, batch_rows)
    return done


def _drop(conn: Any, table: HistoryTable, name: str) -> int:
    """Detach and drop one month; its live rows (deliveries) go back through the parent."""
    conn.execute(f"ALTER TABLE {table.name} DETACH PARTITION {name}")
    row = conn.execute(f"SELECT COUNT(*) FROM {name} WHERE {table.finished}").fetchone()
    if table.finished != "true":
        conn.execute(
            f"INSERT INTO {table.name} ({table.columns}) SELECT {table.columns} FROM {name}"
            f" WHERE NOT ({table.finished})"
        )
    conn.execute(f"DROP TABLE {name}")
    return int(row[0])


def _delete_from_default(conn: Any, table: HistoryTable, before: datetime, batch: int) -> int:
    """Old history in the DEFAULT partition, a batch per short transaction."""
    default, total = f"{table.name}_default", 0
    while True:
        with conn.transaction():
            conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            removed: int = conn.execute(
                f"DELETE FROM {default} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {default}"
                f" WHERE {table.column} < %s AND {table.finished} LIMIT %s))",
                (before, batch),
            ).rowcount
        total += removed
        if removed < batch:
            return total

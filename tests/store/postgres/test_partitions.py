"""The PostgreSQL history tables by month: an upgrade keeps every row, reads bounded in time
touch only their months, expiry drops whole old months and nothing live, the DEFAULT partition
takes any instant and gives rows up to the month made for them, and ids stay once."""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from journey.model import Event
from journey.records import DeliveryRecord, StepRecord
from journey.store.postgres import PostgresStore
from journey.store.postgres.migrations import LATEST_VERSION, MIGRATIONS
from tests.support.backends import PostgresBackend

JAN_2025 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
MARCH_2026 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
INSTANTS = [
    datetime(1950, 6, 1, tzinfo=UTC),  # hostile: long before any partition
    JAN_2025,
    datetime(2025, 4, 30, 23, 59, 59, 999999, tzinfo=UTC),  # the last instant of April
    datetime(2025, 5, 1, tzinfo=UTC),  # the first of May
    datetime(2025, 9, 2, tzinfo=UTC),
    MARCH_2026,
    datetime(2999, 12, 31, tzinfo=UTC),  # hostile: centuries ahead
]


@pytest.fixture
def backend() -> Iterator[PostgresBackend]:
    made = PostgresBackend()
    yield made
    made.close()


def ev(number: int, at: datetime, name: str = "opened") -> Event:
    return Event(id=f"e{number}", contact_id="c1", name=name, timestamp=at, received_at=at)


def step(number: int, at: datetime) -> StepRecord:
    return StepRecord(
        enrollment_id=f"j1:c1:{number}",
        journey_id="j1",
        contact_id="c1",
        step_id="welcome",
        outcome="sent",
        at=at,
    )


def delivery(key: str, at: datetime, contact: str = "c1") -> DeliveryRecord:
    return DeliveryRecord(
        delivery_key=key,
        enrollment_id=f"j1:{contact}:1",
        journey_id="j1",
        step_id="welcome",
        contact_id=contact,
        channel="email",
        kind="email",
        category="marketing",
        payload={"subject": "Hi"},
        created_at=at,
        next_attempt_at=at,
    )


def rows(url: str, table: str, order: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


def partitions(url: str, table: str) -> dict[str, int]:
    """Each partition of `table` and how many rows it holds."""
    with psycopg.connect(url) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = %s::regclass",
                (table,),
            )
        ]
        return {n: conn.execute(f"SELECT COUNT(*) FROM {n}").fetchone()[0] for n in names}  # type: ignore[index]


def version_5_store(url: str) -> None:
    """The schema of the version before partitioning, holding history of many months."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET TimeZone TO 'UTC'")
        conn.execute(
            "CREATE TABLE schema_version (version integer NOT NULL PRIMARY KEY,"
            " description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for version, description, statements in MIGRATIONS[:5]:
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (%s, %s)", (version, description))
        conn.execute("INSERT INTO store_keys VALUES ('erasure', %s)", ("ab" * 32,))
        conn.execute("INSERT INTO store_identity (store_id) VALUES ('the-store')")
        for number, at in enumerate(INSTANTS):
            conn.execute(
                "INSERT INTO events VALUES (%s, 'c1', 'opened', %s, %s, %s)",
                (f"e{number}", at, at, json.dumps({"n": number})),
            )
            conn.execute(
                "INSERT INTO step_history (enrollment_id, journey_id, contact_id, step_id,"
                " outcome, at, detail) VALUES (%s, 'j1', 'c1', 'welcome', 'sent', %s, 'x')",
                (f"j1:c1:{number}", at),
            )
            conn.execute(
                "INSERT INTO deliveries (delivery_key, enrollment_id, journey_id, step_id,"
                " contact_id, channel, kind, category, payload, status, created_at,"
                " next_attempt_at, claim_epoch) VALUES (%s, 'j1:c1:1', 'j1', 'welcome', %s,"
                " 'email', 'email', 'marketing', '{}', %s, %s, %s, %s)",
                (f"k{number}", f"c{number}", "pending" if number % 2 else "sent", at, at, number),
            )


def test_an_upgrade_of_a_populated_store_keeps_every_row(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    url = backend.url(tmp_path, "old")
    version_5_store(url)
    before = {
        "events": rows(url, "events", "id"),
        "step_history": rows(url, "step_history", "id"),
        "deliveries": rows(url, "deliveries", "delivery_key"),
    }
    store = PostgresStore(url)
    try:
        assert store.schema_version == LATEST_VERSION
        assert store.store_id == "the-store"
        assert rows(url, "events", "id") == before["events"]
        assert rows(url, "step_history", "id") == before["step_history"]  # ids kept
        columns = "delivery_key, contact_id, status, created_at, claim_epoch, shard"
        assert [r[:1] + r[4:5] + r[9:10] + r[11:12] + r[17:] for r in before["deliveries"]] == [
            tuple(r) for r in _select(url, columns)
        ]  # the shard is computed again, the same
        # the months that held rows, and this one and those ahead, are partitions now
        held = partitions(url, "events")
        assert held["events_y2025m01"] == 1 and held["events_y2025m04"] == 1
        assert held["events_default"] == 2  # 1950 and 2999 wait there for their expiry
        # what was stored once is still stored once, and new history goes on from there
        assert store.add_event(ev(1, JAN_2025)) is False
        assert store.add_delivery(delivery("k1", JAN_2025)) is False
        store.add_step_records([step(99, MARCH_2026)])
        assert [r.at for r in store.step_records("j1:c1:99")] == [MARCH_2026]
        assert max(r[0] for r in rows(url, "step_history", "id")) > len(INSTANTS)
        due = store.claim_due_deliveries(MARCH_2026, 10, worker="w", lease_until=MARCH_2026)
        assert [d.delivery_key for d in due] == ["k1", "k3", "k5"]  # pending ones, as before
    finally:
        store.close()


def _select(url: str, columns: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT {columns} FROM deliveries ORDER BY delivery_key").fetchall()


@pytest.fixture
def store(backend: PostgresBackend, tmp_path: Path) -> Iterator[PostgresStore]:
    made = PostgresStore(backend.url(tmp_path, "main"))
    made.ensure_history_months(JAN_2025, MARCH_2026)
    yield made
    made.close()


def test_a_read_bounded_in_time_touches_only_its_months(store: PostgresStore) -> None:
    store.add_events([ev(n, at) for n, at in enumerate(INSTANTS)])
    with psycopg.connect(store.url) as conn:
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "EXPLAIN SELECT COUNT(*) FROM events WHERE contact_id = 'c1' AND name = 'opened'"
                " AND timestamp >= '2025-04-10T00:00Z' AND timestamp <= '2025-05-03T00:00Z'"
            )
        )
    scanned = set(re.findall(r" on (events_\w+)", plan))
    assert scanned == {"events_y2025m04", "events_y2025m05"}, plan  # not the other 13, nor DEFAULT
    assert store.count_events("c1", "opened", INSTANTS[2], INSTANTS[3]) == 2


def test_expiry_drops_whole_old_months_and_keeps_every_live_delivery(
    store: PostgresStore,
) -> None:
    store.add_events([ev(n, at) for n, at in enumerate(INSTANTS)])
    store.add_step_records([step(n, at) for n, at in enumerate(INSTANTS)])
    for number, at in enumerate(INSTANTS):
        store.add_delivery(delivery(f"sent-{number}", at))
        store.update_delivery(f"sent-{number}", status="sent")
    store.add_delivery(delivery("pending-jan", JAN_2025))
    store.add_delivery(delivery("parked-jan", JAN_2025))
    store.update_delivery("parked-jan", status="parked")

    cutoff = datetime(2025, 8, 15, tzinfo=UTC)  # August straddles it: kept whole
    expired = store.expire_history(cutoff)

    # January to July 2025 went as partitions; 1950 was deleted from the DEFAULT partition
    assert expired.partitions_dropped == 3 * 7
    assert (expired.events, expired.step_records, expired.deliveries) == (4, 4, 4)
    events = partitions(store.url, "events")
    assert not [name for name in events if name < "events_y2025m08" and name != "events_default"]
    assert "events_y2025m08" in events
    kept = [r[0] for r in rows(store.url, "events", "id")]
    assert kept == ["e4", "e5", "e6"]  # September 2025, March 2026, 2999: nothing newer lost
    # live deliveries of a dropped month live on in the DEFAULT partition, same key and time
    deliveries = partitions(store.url, "deliveries")
    assert deliveries["deliveries_default"] == 3  # pending-jan, parked-jan and 2999's
    [pending] = store.claim_due_deliveries(cutoff, 10, worker="w", lease_until=cutoff)
    assert (pending.delivery_key, pending.created_at) == ("pending-jan", JAN_2025)
    assert store.add_delivery(delivery("pending-jan", JAN_2025)) is False
    assert store.get_delivery("parked-jan").status == "parked"  # type: ignore[union-attr]
    assert store.expire_history(cutoff).total == 0
    # the key rows are those of the rows kept, no more (journey.store.postgres.dedupe)
    assert [r[0] for r in rows(store.url, "event_keys", "id")] == kept
    assert rows(store.url, "delivery_keys", "delivery_key") == [
        (r[0], r[4], r[11]) for r in rows(store.url, "deliveries", "delivery_key")
    ]


def test_the_default_partition_gives_rows_to_the_month_made_for_them(
    store: PostgresStore,
) -> None:
    later = datetime(2031, 7, 4, tzinfo=UTC)
    assert store.add_event(ev(1, later)) is True
    assert partitions(store.url, "events")["events_default"] == 1
    assert store.ensure_history_months(later, later) == 3  # one per history table
    held = partitions(store.url, "events")
    assert (held["events_default"], held["events_y2031m07"]) == (0, 1)
    assert store.add_event(ev(1, later)) is False
    assert store.last_event_at("c1", "opened", later) == later


def test_one_event_id_sent_by_many_workers_at_once_is_stored_once(
    backend: PostgresBackend, tmp_path: Path, store: PostgresStore
) -> None:
    workers = [PostgresStore(backend.url(tmp_path, "main")) for _ in range(4)]
    start = threading.Barrier(len(workers))
    stored: list[bool] = []

    def send(worker: PostgresStore, offset: int) -> None:
        start.wait()
        for number in range(30):  # the same ids, each at another instant per worker
            at = MARCH_2026 + timedelta(days=31 * offset)
            stored.append(worker.add_event(ev(number, at)))

    threads = [threading.Thread(target=send, args=(w, i)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:
        worker.close()
    assert stored.count(True) == 30
    assert len(rows(store.url, "events", "id")) == 30


def test_a_transaction_of_any_size_holds_a_few_locks_not_one_per_id(store: PostgresStore) -> None:
    """The server's lock table holds ~6,400 entries for everyone: 5,000 events and 5,000
    deliveries written in one transaction take a handful of them (tables and indexes)."""
    with store.transaction(), store._connection() as conn:
        store.add_events([ev(n, MARCH_2026 + timedelta(seconds=n)) for n in range(5000)])
        for number in range(5000):
            store.add_delivery(delivery(f"k{number}", MARCH_2026))
        held = conn.execute(
            "SELECT locktype, COUNT(*) FROM pg_locks WHERE pid = pg_backend_pid() GROUP BY locktype"
        ).fetchall()
    counts = dict(held)
    assert "advisory" not in counts
    assert sum(counts.values()) < 200, counts


def test_batches_of_overlapping_ids_from_many_workers_store_each_id_once(
    backend: PostgresBackend, tmp_path: Path, store: PostgresStore
) -> None:
    """Four workers commit 2,000-event batches at once, each the same ids in its own order:
    none deadlocks, each id is stored once, with one worker's content."""
    workers = [PostgresStore(backend.url(tmp_path, "main")) for _ in range(4)]
    start = threading.Barrier(len(workers))
    failed: list[BaseException] = []

    def send(worker: PostgresStore, offset: int) -> None:
        batch = [ev(n, MARCH_2026 + timedelta(days=31 * offset, seconds=n)) for n in range(2000)]
        random.Random(offset).shuffle(batch)
        start.wait()
        try:
            worker.add_events(batch)
        except BaseException as exc:  # reported below, with the others
            failed.append(exc)

    threads = [threading.Thread(target=send, args=(w, i)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:
        worker.close()
    assert failed == []
    stored = rows(store.url, "events", "id")
    assert len(stored) == 2000 == len({r[0] for r in stored})
    keys = {r[0]: r[2] for r in rows(store.url, "event_keys", "id")}
    assert keys == {r[0]: r[3] for r in stored}  # each key row names its event's month


def test_erasing_a_contact_removes_their_key_rows_too(store: PostgresStore) -> None:
    store.add_events([ev(1, JAN_2025), ev(2, MARCH_2026)])
    store.add_delivery(delivery("k-c1", MARCH_2026))
    store.add_delivery(delivery("k-c2", MARCH_2026, contact="c2"))
    assert store.delete_contact("c1") is False  # never a contact row: their history goes all
    assert rows(store.url, "event_keys", "id") == []
    assert [r[0] for r in rows(store.url, "delivery_keys", "delivery_key")] == ["k-c2"]

"""The PostgreSQL store's own promises: migrations once under concurrency, foreign databases
refused, claims that never overlap between connections, a fencing epoch per claim, truthful
answers about event ids racing each other, and clear words when the server is away."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from journey.daemon import inbox
from journey.errors import StoreError
from journey.model import Event
from journey.records import DeliveryRecord, StoreUnavailable
from journey.store.postgres import PostgresStore
from journey.store.postgres.migrations import LATEST_VERSION, MIGRATIONS
from tests.support.backends import PostgresBackend

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def backend() -> Iterator[PostgresBackend]:
    made = PostgresBackend()
    yield made
    made.close()


def delivery(number: int) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_key=f"k{number:04d}",
        enrollment_id=f"e{number}",
        journey_id="j1",
        step_id="welcome",
        contact_id=f"c{number}",
        channel="email",
        kind="email",
        category="marketing",
        payload={"subject": "Hi"},
        created_at=T0,
        next_attempt_at=T0 + timedelta(seconds=number),
    )


def test_workers_starting_together_migrate_the_schema_once(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    url = backend.url(tmp_path, "shared")
    opened: list[PostgresStore] = []
    failures: list[BaseException] = []

    def start() -> None:
        try:
            opened.append(PostgresStore(url))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == [] and len(opened) == 4
    versions = opened[0]._all("SELECT version FROM schema_version ORDER BY version")
    assert versions == [(version,) for version, _, _ in MIGRATIONS]  # each applied once
    assert versions[-1] == (LATEST_VERSION,)
    assert len({store.store_id for store in opened}) == 1
    for store in opened:
        store.close()


def test_a_database_of_another_application_is_refused(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    url = backend.url(tmp_path, "foreign")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id integer)")
    with pytest.raises(StoreError, match="not a journey store"):
        PostgresStore(url)


def test_a_schema_newer_than_this_journey_is_refused(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    store = backend.open(tmp_path, "newer")
    assert isinstance(store, PostgresStore)
    store._run("INSERT INTO schema_version (version, description) VALUES (99, 'future')")
    with pytest.raises(StoreError, match="schema version 99, newer"):
        PostgresStore(backend.url(tmp_path, "newer"))


def test_an_unreachable_server_is_one_clear_line_without_the_password() -> None:
    with pytest.raises(StoreError) as caught:
        PostgresStore("postgresql://journey:hunter2@127.0.0.1:1/journey")
    message = str(caught.value)
    assert message.startswith("cannot open the state store postgresql://journey@127.0.0.1:1/")
    assert "hunter2" not in message


def test_a_statement_the_server_cancels_is_said_so_and_passes(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    store = backend.open(tmp_path, "cancelled")
    assert isinstance(store, PostgresStore)
    with pytest.raises(StoreUnavailable) as caught, store.transaction():
        store._run("SET LOCAL statement_timeout = '20ms'")
        store._one("SELECT pg_sleep(2)")
    assert "cancelled the statement (a statement timeout or an operator)" in str(caught.value)
    assert store._one("SELECT 1") == (1,)  # the next call works again


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (psycopg.errors.DiskFull, "is out of resources (memory, disk or connections)"),
        (psycopg.errors.OutOfMemory, "is out of resources (memory, disk or connections)"),
        (psycopg.errors.TooManyConnections, "is out of resources (memory, disk or connections)"),
        (psycopg.errors.AdminShutdown, "is restarting or was told to close the connection"),
        (psycopg.errors.CannotConnectNow, "is restarting or was told to close the connection"),
        (psycopg.OperationalError, "cannot be reached"),
    ],
)
def test_what_the_server_says_of_itself_is_the_operators_line(
    backend: PostgresBackend, tmp_path: Path, error: type[Exception], words: str
) -> None:
    store = backend.open(tmp_path, "words")
    assert isinstance(store, PostgresStore)
    said = store._unreachable(error("the server's own words"))
    assert str(said).endswith(f" {words}: the server's own words")


def test_claims_from_two_connections_never_overlap(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    first, second = backend.open(tmp_path, "claims"), backend.open(tmp_path, "claims")
    for number in range(200):
        first.add_delivery(delivery(number))
    now = T0 + timedelta(hours=1)
    lease = now + timedelta(minutes=5)
    taken: dict[str, list[str]] = {"a": [], "b": []}

    def claim(store: PostgresStore, worker: str) -> None:
        while True:
            batch = store.claim_due_deliveries(now, 7, worker=worker, lease_until=lease)
            if not batch:
                return
            taken[worker] += [d.delivery_key for d in batch]

    threads = [
        threading.Thread(target=claim, args=(store, worker))
        for store, worker in ((first, "a"), (second, "b"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not set(taken["a"]) & set(taken["b"])
    assert len(taken["a"]) + len(taken["b"]) == 200


def test_every_claim_raises_the_rows_fencing_epoch(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    store = backend.open(tmp_path, "epoch")
    assert isinstance(store, PostgresStore)
    store.add_delivery(delivery(1))

    def lease() -> tuple[str, int]:
        by, epoch = store._one("SELECT claimed_by, claim_epoch FROM deliveries")
        return by, epoch

    store.claim_due_deliveries(T0 + timedelta(hours=1), 5, worker="a", lease_until=T0)
    assert lease() == ("a", 1)
    later = T0 + timedelta(hours=2)  # a's lease ran out: b takes the row over
    store.claim_due_deliveries(later, 5, worker="b", lease_until=later + timedelta(minutes=1))
    assert lease() == ("b", 2)


def test_concurrent_duplicates_are_queued_once(backend: PostgresBackend, tmp_path: Path) -> None:
    stores = [backend.open(tmp_path, "inbox") for _ in range(4)]
    event = Event(id="e1", name="signed_up", contact_id="c1", timestamp=T0, received_at=T0)
    verdicts: list[str] = []
    start = threading.Barrier(len(stores))

    def accept(store: PostgresStore) -> None:
        start.wait(timeout=30)
        with store.transaction():
            if store.events_by_id([event.id]):
                verdicts.append("duplicate")
                return
            store.enqueue([(inbox.EVENT, inbox.event_body(event))], T0)
            verdicts.append("new")

    threads = [threading.Thread(target=accept, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(verdicts) == ["duplicate", "duplicate", "duplicate", "new"]
    assert stores[0].inbox_size() == 1


def test_a_database_replaced_under_an_open_store_is_noticed(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    store = backend.open(tmp_path, "replaced")
    assert isinstance(store, PostgresStore)
    store.identity_check_seconds = 0  # ask the server every time
    assert store.identity_problem() is None
    store._run("UPDATE store_identity SET store_id = 'another'")
    problem = store.identity_problem()
    assert problem is not None and "replaced by another database" in problem

"""`journey store copy`: a SQLite store moved into PostgreSQL mid-flight sends nothing twice, loses
nothing. The story: welcomes sent and contacts waiting for their follow-up, a batch enrolled
whose welcomes were written but not sent (the daemon stopped), and sign-ups acknowledged but not
processed; copy, point the daemon at PostgreSQL, and every contact gets each message once.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli
from journey.clock import VirtualClock
from journey.daemon import inbox
from journey.daemon.service import Daemon, DaemonOptions
from journey.ingest import parse_event
from journey.model import Contact, Event
from journey.records import DeliveryRecord, SplitDecision
from journey.shards import SHARD_COUNT
from journey.store.copy import KEY_TABLES, NOT_COPIED, NOT_COPIED_COLUMNS, TABLES
from journey.store.postgres import PostgresStore
from journey.store.sqlite import SQLiteStore
from tests.daemon.workspace_factory import contacts, make_workspace, signups
from tests.support.backends import PostgresBackend

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def daemon(
    root: Path, clock: VirtualClock, database: str | None = None, secret: str | None = "s"
) -> Daemon:
    """A daemon on the workspace; `secret=None`: no JOURNEY_SECRET, the store keeps one."""
    env = {} if secret is None else {"JOURNEY_SECRET": secret}
    made = Daemon(
        DaemonOptions(root=root, log_format="json", env=env, database=database),
        clock=clock,
        stream=io.StringIO(),
    )
    made.open()
    return made


def sign_up(store: SQLiteStore, first: int, count: int, now: datetime) -> None:
    people = contacts(first + count)[first:]
    inbox.enqueue_contacts(store, people, now)
    ids = [str(p["id"]) for p in people]
    events = [parse_event(r, received_at=now) for r in signups(ids, now.isoformat())]
    inbox.enqueue_events(store, events, now)


def run_for(worker: Daemon, clock: VirtualClock, seconds: int, step: int = 60) -> None:
    end = clock.now() + timedelta(seconds=seconds)
    worker.tick()
    while clock.now() < end:
        clock.advance(timedelta(seconds=step))
        worker.tick()


def outbox_keys(root: Path) -> Counter[str]:
    lines = (root / "outbox.jsonl").read_text().splitlines()
    return Counter(json.loads(line)["delivery_key"] for line in lines if line.strip())


def test_a_copied_store_sends_each_delivery_once_and_loses_nothing(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", wait="1h")
    clock = VirtualClock(START)
    source = daemon(root, clock)
    sign_up(source.store, 0, 5, clock.now())
    run_for(source, clock, 120)  # 5 welcomes sent, 5 contacts waiting an hour
    sign_up(source.store, 5, 10, clock.now())
    source.shell.drain_inbox()  # 10 enrolled, their welcomes written but not sent
    sign_up(source.store, 15, 5, clock.now())  # 5 acknowledged, not processed
    pending = source.store.claim_due_deliveries(
        clock.now(), 100, worker="look", lease_until=clock.now()
    )
    assert len(pending) == 10 and source.store.inbox_size() > 0
    source.close()
    assert sum(outbox_keys(root).values()) == 5

    backend = PostgresBackend()
    try:
        target = backend.url(tmp_path, "copy")
        result = CliRunner().invoke(
            cli, ["--workspace", str(root), "store", "copy", str(root / "state.db"), target]
        )
        assert result.exit_code == 0, result.output
        for copied in ("contacts 15", "enrollments 15", "deliveries 15", "inbox 10"):
            assert copied in result.output

        moved = daemon(root, clock, database=target)
        try:
            run_for(moved, clock, 2 * 3600)
            counts = moved.store.journey_counts("welcome-test")
        finally:
            moved.close()
    finally:
        backend.close()
    sent = outbox_keys(root)
    assert len(sent) == 40  # 20 contacts, welcome and follow-up each
    assert set(sent.values()) == {1}, [k for k, n in sent.items() if n > 1]
    assert counts.deliveries == {"sent": 40}


def test_copy_refuses_a_target_that_is_not_empty(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    SQLiteStore(root / "state.db").close()
    backend = PostgresBackend()
    try:
        used = backend.open(tmp_path, "used")
        sign_up(used, 0, 1, START)  # type: ignore[arg-type]
        result = CliRunner().invoke(
            cli, ["store", "copy", str(root / "state.db"), backend.url(tmp_path, "used")]
        )
    finally:
        backend.close()
    assert result.exit_code == 2
    assert "is not empty (it holds inbox)" in result.output


def test_copy_refuses_while_a_daemon_runs_on_the_source(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    running = daemon(root, VirtualClock(START))
    backend = PostgresBackend()
    try:
        result = CliRunner().invoke(
            cli, ["store", "copy", str(root / "state.db"), backend.url(tmp_path, "copy")]
        )
    finally:
        running.close()
        backend.close()
    assert result.exit_code == 2
    assert "another journey daemon" in result.output


def test_tombstones_and_the_unsubscribe_secret_move_with_the_store(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    clock = VirtualClock(START)
    source = daemon(root, clock, secret=None)
    sign_up(source.store, 0, 2, clock.now())
    run_for(source, clock, 60)
    source.store.enqueue([(inbox.DELETE_CONTACT, {"id": "c00000"})], clock.now())
    run_for(source, clock, 60)
    secret = source.secret
    source.close()

    backend = PostgresBackend()
    try:
        target = backend.url(tmp_path, "copy")
        result = CliRunner().invoke(cli, ["store", "copy", str(root / "state.db"), target])
        assert result.exit_code == 0, result.output
        assert "erased 1" in result.output
        assert "store_keys 2" in result.output  # the erasure key and the unsubscribe secret
        moved = daemon(root, clock, database=target, secret=None)
        try:
            assert moved.secret == secret  # links already sent keep working
            assert moved.store.is_erased("c00000") and not moved.store.is_erased("c00001")
            assert moved.store.get_contact("c00000") is None
        finally:
            moved.close()
    finally:
        backend.close()


def test_topics_pending_clock_fires_and_split_decisions_move_with_the_store(
    tmp_path: Path,
) -> None:
    """A contact's opt-outs, a weekly digest's fire cut short by the move, a split's winner:
    after the copy the topics still hold, the fire finishes from where it was (a finished
    fire stays behind), and the winner is not decided again."""
    path = tmp_path / "state.db"
    source = SQLiteStore(path)
    source.put_contact(
        Contact(id="c1", email="a@example.com", topics={"news": {"email": False, "sms": True}})
    )
    source.add_shard_fires("digest", START, "schedule")
    done, halfway = source.pending_shard_fires(["digest"], worker="w", limit=2)
    with source.transaction():
        source.save_shard_fire(replace(done, done_at=START))  # one shard of it finished
        source.save_shard_fire(replace(halfway, after="c0500"))  # one halfway
    source.add_shard_fires("segment-pass", START, "segment")
    source.record_split_decision(
        SplitDecision(
            journey_id="welcome",
            step_id="subject-test",
            decided_at=START,
            winner="b",
            figures={"a": {"rate": 0.1}},
        )
    )
    source.close()

    backend = PostgresBackend()
    try:
        target = backend.url(tmp_path, "copy")
        result = CliRunner().invoke(cli, ["store", "copy", str(path), target])
        assert result.exit_code == 0, result.output
        assert f"shard_fires {2 * SHARD_COUNT - 1}" in result.output
        assert "split_decisions 1" in result.output
        moved = backend.open(tmp_path, "copy")
        contact = moved.get_contact("c1")
        pending = moved.pending_shard_fires(["digest", "segment-pass"], worker="w", limit=999)
        decision = moved.split_decision("welcome", "subject-test")
    finally:
        backend.close()
    assert contact is not None
    assert not contact.subscribed("news", "email") and contact.subscribed("news", "sms")
    assert Counter(f.journey_id for f in pending) == {
        "digest": SHARD_COUNT - 1,
        "segment-pass": SHARD_COUNT,
    }
    assert {f.kind for f in pending if f.journey_id == "segment-pass"} == {"segment"}
    assert [f.after for f in pending if f.shard == halfway.shard and f.journey_id == "digest"] == [
        "c0500"
    ]
    assert decision is not None and decision.winner == "b"
    assert decision.figures == {"a": {"rate": 0.1}}


def test_events_and_deliveries_copied_are_still_stored_once(tmp_path: Path) -> None:
    """A client sending its events again after the move, a journey writing a delivery it
    wrote before: the copied store knows their ids (its key tables are filled)."""
    path = tmp_path / "state.db"
    source = SQLiteStore(path)
    sent = Event(id="e1", name="signup", contact_id="c1", timestamp=START, received_at=START)
    source.add_events([sent])
    welcome = DeliveryRecord(
        delivery_key="welcome:c1",
        enrollment_id="j1:c1:1",
        journey_id="j1",
        step_id="welcome",
        contact_id="c1",
        channel="email",
        kind="email",
        category="marketing",
        payload={"subject": "Hi"},
        created_at=START,
        next_attempt_at=START,
    )
    source.add_delivery(welcome)
    source.close()
    backend = PostgresBackend()
    try:
        target = backend.url(tmp_path, "copy")
        result = CliRunner().invoke(cli, ["store", "copy", str(path), target])
        assert result.exit_code == 0, result.output
        moved = backend.open(tmp_path, "copy")
        again = (moved.add_event(sent), moved.add_delivery(welcome))
        fresh = moved.add_event(replace(sent, id="e2"))
    finally:
        backend.close()
    assert again == (False, False)
    assert fresh is True


def _sqlite_schema(path: Path) -> dict[str, set[str]]:
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: {r[1] for r in conn.execute(f"PRAGMA table_info({n})")} for n in names}
    finally:
        conn.close()


def _postgres_schema(tmp_path: Path) -> dict[str, set[str]]:
    backend = PostgresBackend()
    try:
        store = backend.open(tmp_path, "schema")
        assert isinstance(store, PostgresStore)
        with store._connection() as conn:
            rows = conn.execute(
                "SELECT c.relname, a.attname FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()"
                " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
                " AND NOT a.attisdropped"
                " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
            ).fetchall()
    finally:
        backend.close()
    schema: dict[str, set[str]] = {}
    for table, column in rows:
        schema.setdefault(str(table), set()).add(str(column))
    return schema


def test_copy_handles_every_table_and_column_of_both_schemas(tmp_path: Path) -> None:
    """A table or column added by a later migration fails here until copy moves it or says
    why not (NOT_COPIED, NOT_COPIED_COLUMNS)."""
    handled = {t.name for t in TABLES} | set(KEY_TABLES)
    for schema in (_sqlite_schema(tmp_path / "state.db"), _postgres_schema(tmp_path)):
        assert set(schema) - set(NOT_COPIED) == handled
        for table in TABLES:
            copied = {c.strip() for c in table.columns.split(",")}
            left = {
                column
                for column in schema[table.name] - copied
                if column not in NOT_COPIED_COLUMNS
                and f"{table.name}.{column}" not in NOT_COPIED_COLUMNS
            }
            assert left == set(), f"{table.name}: {sorted(left)} neither copied nor left out"

"""`journey store copy`: a SQLite store moved into PostgreSQL mid-flight sends nothing twice, loses
nothing. The story: welcomes sent and contacts waiting for their follow-up, a batch enrolled
whose welcomes were written but not sent (the daemon stopped), and sign-ups acknowledged but not
processed; copy, point the daemon at PostgreSQL, and every contact gets each message once.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli
from journey.clock import VirtualClock
from journey.daemon import inbox
from journey.daemon.service import Daemon, DaemonOptions
from journey.ingest import parse_event
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

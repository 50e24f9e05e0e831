"""The daemon on a PostgreSQL store: the CLI's way in (--database, JOURNEY_DATABASE_URL), many
daemons per database splitting the shards, writers that see them, a lock session that ends and
is taken again, and a real `journey run` process that sends what writers queued and stops
cleanly on SIGTERM."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from journey.cli.main import cli
from journey.clock import VirtualClock
from journey.daemon.lock import writer_access
from journey.daemon.service import Daemon, DaemonOptions
from journey.store.postgres import PostgresStore
from tests.daemon.crash_harness import daemon_command, wait_for_log
from tests.daemon.workspace_factory import contacts, make_workspace, signups
from tests.support.backends import PostgresBackend

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    backend = PostgresBackend()
    yield backend.url(tmp_path, "daemon")
    backend.close()


def daemon(root: Path, url: str) -> Daemon:
    made = Daemon(
        DaemonOptions(root=root, log_format="json", env={"JOURNEY_SECRET": "s"}, database=url),
        clock=VirtualClock(START),
        stream=io.StringIO(),
    )
    made.open()
    return made


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_ingest_run_status_and_report_all_reach_the_database_the_url_names(
    tmp_path: Path, database: str
) -> None:
    root = make_workspace(tmp_path / "ws")
    people = write_jsonl(tmp_path / "contacts.jsonl", contacts(3))
    events = write_jsonl(
        tmp_path / "events.jsonl",
        signups([f"c{n:05d}" for n in range(3)], datetime.now(UTC).isoformat()),
    )
    runner = CliRunner()
    base = ["--workspace", str(root)]
    command = [*base, "contacts", "import", str(people), "--database", database]
    imported = runner.invoke(cli, command)
    assert imported.exit_code == 0, imported.output
    env = {"JOURNEY_DATABASE_URL": database, "JOURNEY_SECRET": "s"}
    ingested = runner.invoke(cli, [*base, "ingest", str(events)], env=env)
    assert ingested.exit_code == 0, ingested.output
    ran = runner.invoke(cli, [*base, "run", "--once"], env=env)
    assert ran.exit_code == 0, ran.output
    status = runner.invoke(cli, [*base, "status", "--format", "json", "--database", database])
    assert status.exit_code == 0, status.output
    report = json.loads(status.output)
    assert report["database"] == database
    (journey,) = report["journeys"]
    assert journey["entered"] == 3 and journey["deliveries"] == {"sent": 3}
    results = runner.invoke(cli, [*base, "report", "--format", "json"], env=env)
    assert results.exit_code == 0, results.output
    (read_back,) = json.loads(results.output)["journeys"]
    assert (read_back["id"], read_back["entered"]) == (journey["journey_id"], 3)
    assert not (root / "state.db").exists()  # the workspace's own SQLite file was never made
    assert len((root / "outbox.jsonl").read_text().splitlines()) == 3


def test_daemons_on_one_postgresql_database_split_the_shards_and_writers_see_them(
    tmp_path: Path, database: str
) -> None:
    root = make_workspace(tmp_path / "ws")
    first = daemon(root, database)
    second = daemon(root, database)
    try:
        assert first.worker_name != second.worker_name
        assert first.shards is not None and second.shards is not None
        assert len(first.shards.held()) == 64  # alone when it started
        first.shards.rebalance(force=True)  # two live workers now: half each
        second.shards.rebalance(force=True)
        mine, theirs = set(first.shards.held()), set(second.shards.held())
        assert len(mine) == len(theirs) == 32
        assert not mine & theirs
        base = ["--workspace", str(root), "status", "--database", database]
        shown = CliRunner().invoke(cli, [*base, "--format", "json"])
        assert shown.exit_code == 0, shown.output
        report = json.loads(shown.output)["workers"]
        assert report["shards"] == 64 and report["unheld_shards"] == 0
        by_name = {w["worker"]: w for w in report["workers"]}
        assert set(by_name[first.worker_name]["shards"]) == mine
        assert set(by_name[second.worker_name]["shards"]) == theirs
        assert all(w["live"] and w["lease_left_seconds"] > 0 for w in by_name.values())
        table = CliRunner().invoke(cli, base)
        assert f"{first.worker_name}  [live]  32 shards" in table.output, table.output
        access = writer_access(database)
        assert access.daemon_running()
        access.close()
    finally:
        first.close()
        second.close()
    access = writer_access(database)
    assert not access.daemon_running()
    access.close()
    with psycopg.connect(database) as admin:
        held = admin.execute("SELECT COUNT(*) FROM shards WHERE holder IS NOT NULL").fetchone()
    assert held == (0,)  # a stop hands every shard back at once


def test_a_lock_whose_session_ended_is_taken_again(tmp_path: Path, database: str) -> None:
    root = make_workspace(tmp_path / "ws")
    first = daemon(root, database)
    try:
        with psycopg.connect(database, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name LIKE 'journey run pid%%'"
            )
        assert first.check_store() is None  # re-opened, re-taken: work goes on
        access = writer_access(database)
        assert access.daemon_running()
        access.close()
    finally:
        first.close()


def test_journey_run_as_a_process_sends_what_writers_queued_and_stops_on_sigterm(
    tmp_path: Path, database: str
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1s")
    env = {**os.environ, "JOURNEY_DATABASE_URL": database, "PYTHONPATH": str(ROOT)}
    env.pop("JOURNEY_TOKEN", None)
    log = tmp_path / "daemon.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(daemon_command(root), stdout=sink, stderr=sink, env=env)
    try:
        assert wait_for_log(log, '"started"', 0, 30), log.read_text()[-2000:]
        people = write_jsonl(tmp_path / "contacts.jsonl", contacts(20))
        events = write_jsonl(
            tmp_path / "events.jsonl",
            signups([f"c{n:05d}" for n in range(20)], datetime.now(UTC).isoformat()),
        )
        journey = [sys.executable, "-m", "journey", "--workspace", str(root)]
        for command in (["contacts", "import", str(people)], ["ingest", str(events)]):
            result = subprocess.run(
                [*journey, *command], capture_output=True, text=True, env=env, timeout=60
            )
            assert result.returncode == 0, result.stderr
            assert "queued for the running daemon" in result.stdout
        outbox = root / "outbox.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if outbox.exists() and len(outbox.read_text().splitlines()) >= 40:
                break
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=30)
    assert status == 0, log.read_text()[-2000:]
    keys = [json.loads(line)["delivery_key"] for line in outbox.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 40
    store = PostgresStore(database)
    try:
        assert store.journey_counts("welcome-test").deliveries == {"sent": 40}
        leased = store._one(
            "SELECT (SELECT COUNT(*) FROM enrollments WHERE claimed_by IS NOT NULL)"
            " + (SELECT COUNT(*) FROM deliveries WHERE claimed_by IS NOT NULL)"
        )[0]
    finally:
        store.close()
    assert leased == 0
    assert not (root / "state.db").exists()

"""The daemon on a PostgreSQL store: the CLI's way in (--database, JOURNEY_DATABASE_URL), one
daemon per database, writers that see it, and a lock session that ends and is taken again."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from journey.cli.main import cli
from journey.clock import VirtualClock
from journey.daemon.lock import DaemonAlreadyRunning, writer_access
from journey.daemon.service import Daemon, DaemonOptions
from tests.daemon.workspace_factory import contacts, make_workspace, signups
from tests.support.backends import PostgresBackend

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


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


def test_ingest_run_and_status_all_reach_the_database_the_url_names(
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
    assert not (root / "state.db").exists()  # the workspace's own SQLite file was never made
    assert len((root / "outbox.jsonl").read_text().splitlines()) == 3


def test_one_daemon_per_postgresql_database(tmp_path: Path, database: str) -> None:
    root = make_workspace(tmp_path / "ws")
    first = daemon(root, database)
    try:
        with pytest.raises(DaemonAlreadyRunning, match=r"journey run pid \d+"):
            daemon(root, database)
        access = writer_access(database)
        assert access.daemon_running()
        access.close()
    finally:
        first.close()
    access = writer_access(database)
    assert not access.daemon_running()
    access.close()


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
        with pytest.raises(DaemonAlreadyRunning):
            daemon(root, database)
    finally:
        first.close()

"""The daemon holds its store by identity: one daemon per file whatever the path; gone = stop."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from journey.daemon.hooks import HttpHooks
from journey.model import Event
from journey.store.identity import StoreReplaced
from tests.daemon.conftest import DaemonHarness
from tests.daemon.crash_harness import ROOT, start_daemon, wait_for_log
from tests.daemon.workspace_factory import make_workspace, signups


def journey_cli(root: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "journey", "--workspace", str(root), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def running(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real `journey run` on ws/state.db, stopped at the end."""
    root = make_workspace(tmp_path / "ws")
    log = tmp_path / "daemon.log"
    log.touch()
    process = start_daemon(root, log)
    assert wait_for_log(log, '"started"', 0, 30), log.read_text()[-2000:]
    yield root, process, log
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=15)


def second_workspace(tmp_path: Path, database: Path) -> Path:
    """Another workspace whose `database:` is a symlink to `database`."""
    other = make_workspace(tmp_path / "other")
    (other / "state.db").symlink_to(database)
    return other


def test_a_second_daemon_through_a_symlinked_database_path_is_refused(
    running: tuple[Path, subprocess.Popen[bytes], Path], tmp_path: Path
) -> None:
    root, _, _ = running
    other = second_workspace(tmp_path, root / "state.db")
    result = journey_cli(other, "run", "--once")
    assert result.returncode == 2
    assert "another journey daemon" in result.stderr
    assert "Traceback" not in result.stderr


def test_deleting_the_files_beside_the_database_does_not_let_a_second_daemon_in(
    running: tuple[Path, subprocess.Popen[bytes], Path],
) -> None:
    root, _, _ = running
    for name in ("state.db.lock", "state.db.pid"):
        (root / name).unlink(missing_ok=True)
    result = journey_cli(root, "run", "--once")
    assert result.returncode == 2
    assert "another journey daemon" in result.stderr


def test_a_database_deleted_under_a_running_daemon_stops_it_loudly(
    running: tuple[Path, subprocess.Popen[bytes], Path],
) -> None:
    root, process, log = running
    (root / "state.db").unlink()
    assert process.wait(timeout=10) == 2
    last = log.read_text().strip().splitlines()[-1]
    assert last.startswith("journey: error: the state store") and "was deleted" in last
    assert "Traceback" not in log.read_text()


def test_a_database_replaced_under_a_running_daemon_stops_it_loudly(
    running: tuple[Path, subprocess.Popen[bytes], Path], tmp_path: Path
) -> None:
    root, process, log = running
    shutil.copy(root / "state.db", tmp_path / "copy.db")
    os.replace(tmp_path / "copy.db", root / "state.db")
    assert process.wait(timeout=10) == 2
    assert "was replaced by another file" in log.read_text().strip().splitlines()[-1]


def foreign_sqlite(path: Path, *, application_id: int = 0) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {application_id}")
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('someone else''s data')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p.write_bytes(b""), "empty file (0 bytes)"),
        (lambda p: p.write_text("name,email\nAda,ada@example.com\n"), "not a SQLite database"),
        (lambda p: foreign_sqlite(p), "without the journey store's mark"),
        (lambda p: foreign_sqlite(p, application_id=0x12345678), "another application"),
    ],
    ids=["zero-length", "text", "sqlite-without-mark", "sqlite-of-another-app"],
)
def test_a_file_that_is_not_a_journey_store_is_refused_and_left_alone(
    tmp_path: Path, make: object, says: str
) -> None:
    root = make_workspace(tmp_path / "ws")
    database = root / "state.db"
    make(database)  # type: ignore[operator]
    before = database.read_bytes()
    result = journey_cli(root, "run", "--once")
    assert result.returncode == 2, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert database.read_bytes() == before


def test_an_import_into_a_zero_length_database_is_refused_too(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    (root / "state.db").write_bytes(b"")
    result = journey_cli(root, "contacts", "import", "-", input='{"id": "c1"}\n')
    assert result.returncode == 2
    assert result.stderr.startswith("journey: error:") and "empty file (0 bytes)" in result.stderr
    assert (root / "state.db").stat().st_size == 0


def test_ingest_running_beside_a_daemon_lets_the_daemon_start_and_hands_it_the_rest(
    tmp_path: Path,
) -> None:
    """An import that started first keeps going; a daemon started meanwhile starts."""
    root = make_workspace(tmp_path / "ws")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ingest = subprocess.Popen(
        [sys.executable, "-m", "journey", "--workspace", str(root), "ingest", "-",
         "--batch-size", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert ingest.stdin is not None
    lines = [json.dumps(r) + "\n" for r in signups(["a", "b"], datetime.now(UTC).isoformat())]
    ingest.stdin.write(lines[0].encode())
    ingest.stdin.flush()
    time.sleep(1.0)  # the import is under way, store open
    log = tmp_path / "daemon.log"
    log.touch()
    daemon = start_daemon(root, log)
    try:
        assert wait_for_log(log, '"started"', 0, 30), log.read_text()[-2000:]
        assert "another journey daemon" not in log.read_text()
        out, err = ingest.communicate(lines[1].encode(), timeout=30)
        assert ingest.returncode == 0, err
        counts = re.search(rb"(\d+) stored, (\d+) queued for the running daemon", out)
        assert counts is not None, out
        # the split depends on how fast the import began; nothing is lost either way
        assert int(counts[1]) + int(counts[2]) == 2, out
    finally:
        daemon.terminate()
        assert daemon.wait(timeout=15) == 0


def test_the_http_write_path_answers_an_error_once_the_file_is_replaced(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    """What the API does per request: an error (503), never a 202 for a write no one will read."""
    harness = harness_factory(make_workspace(tmp_path / "ws"))
    hooks = HttpHooks(harness.daemon)
    now = harness.clock.now()
    first = Event(id="e1", name="x", contact_id="c1", timestamp=now, received_at=now)
    assert hooks.ingest_events([first]) == ["new"]
    shutil.copy(tmp_path / "ws" / "state.db", tmp_path / "copy.db")
    os.replace(tmp_path / "copy.db", tmp_path / "ws" / "state.db")
    with pytest.raises(StoreReplaced, match="replaced by another file"):
        hooks.ingest_events([replace(first, id="e2")])
    assert harness.daemon.check_store() is not None and harness.daemon.stopping.is_set()
    hooks.close()

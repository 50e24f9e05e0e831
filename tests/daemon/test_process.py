"""Process behaviour of a real `journey run`: one daemon per database, signals, SIGHUP reload."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from journey.daemon.lock import DaemonAlreadyRunning, DaemonLock
from journey.store.sqlite import SQLiteStore
from tests.daemon.crash_harness import seed, start_daemon, wait_for_log
from tests.daemon.workspace_factory import make_workspace, write_journey


def test_the_lock_is_exclusive_and_names_the_holder(tmp_path: Path) -> None:
    database = tmp_path / "state.db"
    with (
        DaemonLock(database),
        pytest.raises(DaemonAlreadyRunning, match=r"\(pid \d+\) is already running"),
    ):
        DaemonLock(database).acquire()
    with DaemonLock(database):  # released: free again
        pass


def test_a_second_daemon_on_the_same_database_exits_2(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    with DaemonLock(root / "state.db"):
        result = subprocess.run(
            ["journey", "--workspace", str(root), "run", "--once"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert "another journey daemon" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_stops_within_seconds_and_leaves_no_claims(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", wait="1h")
    seed(root, 300)
    log = tmp_path / "daemon.log"
    log.touch()
    process = start_daemon(root, log)
    assert wait_for_log(log, '"sent"', 0, 30), log.read_text()[-2000:]
    asked = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert time.monotonic() - asked < 5
    assert '"stopped"' in log.read_text()
    store = SQLiteStore(root / "state.db")
    try:
        claimed = store._one(  # the raw lease columns
            "SELECT (SELECT COUNT(*) FROM enrollments WHERE claimed_by IS NOT NULL)"
            " + (SELECT COUNT(*) FROM deliveries WHERE claimed_by IS NOT NULL)"
        )[0]
    finally:
        store.close()
    assert claimed == 0


def test_sighup_reloads_and_a_file_change_is_picked_up(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    log = tmp_path / "daemon.log"
    log.touch()
    process = start_daemon(root, log)
    try:
        assert wait_for_log(log, '"started"', 0, 30)
        process.send_signal(signal.SIGHUP)
        assert wait_for_log(log, '"SIGHUP"', 0, 10)
        write_journey(root, journey_id="second")
        assert wait_for_log(log, '"added": "second"', 0, 10)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    reloads = [json.loads(line) for line in log.read_text().splitlines() if '"reload"' in line]
    assert [r["reason"] for r in reloads] == ["start", "SIGHUP", "file change"]

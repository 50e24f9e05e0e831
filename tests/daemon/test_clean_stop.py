"""A daemon stopped with SIGTERM closes every connection to its store before it lets go of the lock.

The HTTP API has its own connection. SQLite's POSIX locks on the file go with
*any* descriptor of it that the process closes, the daemon lock's included: a
connection still open after that holds no lock, and another process closing
its own connection takes itself for the last, folds the WAL in and deletes it.
Closed in order, the daemon's last connection is the one that folds the WAL,
and nothing of it is left beside the file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from journey.daemon.hooks import start_http
from journey.store.identity import is_held
from journey.store.sqlite import SQLiteStore
from tests.daemon.conftest import DaemonHarness
from tests.daemon.live_daemon import TOKEN, live_daemon, wait_until
from tests.daemon.workspace_factory import contacts, make_workspace, signups
from tests.support.smtp_server import free_port


def _enrolled(root: Path) -> int:
    store = SQLiteStore(root / "state.db")
    try:
        return len(store.active_enrollments_in("welcome-test", 100))
    finally:
        store.close()


def test_a_stopped_daemon_folds_the_wal_with_its_last_connection(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", wait="1d")
    port = free_port()
    config = root / "workspace.yaml"
    config.write_text(config.read_text() + f"http: {{ port: {port} }}\n")
    with live_daemon(root, port) as daemon:
        people = contacts(3)
        assert daemon.post_json("/v1/contacts", people)[0] == 200
        now = datetime.now(UTC).isoformat()
        events = signups([str(p["id"]) for p in people], now)
        assert daemon.post_json("/v1/events", events)[0] == 202
        wait_until(lambda: _enrolled(root) == 3, 30, "three enrolled")
    assert daemon.process.returncode == 0, daemon.tail()
    assert '"stopped"' in daemon.tail()
    leftovers = sorted(p.name for p in root.iterdir() if p.name.startswith("state.db-"))
    assert leftovers == [], leftovers
    assert _enrolled(root) == 3  # and what it stored is all in the file


def test_the_http_api_connection_is_closed_before_the_lock_is_let_go(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws")
    config = root / "workspace.yaml"
    config.write_text(config.read_text() + f"http: {{ port: {free_port()} }}\n")
    daemon = harness_factory(root).daemon
    daemon.env["JOURNEY_TOKEN"] = TOKEN
    server = start_http(daemon, True)
    assert server is not None
    assert is_held(root / "state.db")  # the daemon's connection and the API's
    server.shutdown()
    server.server_close()
    daemon.close()
    assert not is_held(root / "state.db")  # none left open when the lock's descriptor closed

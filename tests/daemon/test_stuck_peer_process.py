"""A real `journey run` stuck on a trickling SMTP peer: /healthz says so, SIGTERM still stops it."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from journey.store.sqlite import SQLiteStore
from tests.daemon.crash_harness import ROOT, daemon_command, seed, wait_for_log
from tests.daemon.workspace_factory import make_workspace
from tests.support.hostile_peers import HostileSmtp
from tests.support.smtp_server import free_port, running_smtp_server

TOKEN = secrets.token_urlsafe(32)  # the daemon refuses a weak token
STOP_BOUND = 10  # seconds: docs/operating.md, "Stopping"


def start(root: Path, log: Path, http_port: int) -> subprocess.Popen[bytes]:
    command = daemon_command(root, "--stall-after", "2")
    command[command.index("--no-http")] = "--http"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JOURNEY_TOKEN": TOKEN}
    with log.open("ab") as sink:
        return subprocess.Popen(command, stdout=sink, stderr=sink, env=env)


def health(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def wait_for_health(port: int, wanted: int, timeout: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    last: tuple[int, dict[str, object]] = (0, {})
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):  # not listening yet
            last = health(port)
        if last[0] == wanted:
            return last[1]
        time.sleep(0.1)
    raise AssertionError(f"/healthz never answered {wanted}; last {last}")


def test_a_daemon_stuck_on_a_trickling_peer_is_unhealthy_stops_within_the_bound_and_resends(
    tmp_path: Path,
) -> None:
    http_port = free_port()
    log = tmp_path / "daemon.log"
    log.touch()
    with HostileSmtp("trickle", interval=0.5) as peer:
        root = make_workspace(tmp_path / "ws", smtp_port=peer.port, wait="30d")
        config = root / "workspace.yaml"
        # Long per-read timeout and deadline: only the stop can free the worker.
        config.write_text(
            config.read_text().replace("timeout: 2", "timeout: 600\n    deadline: 600")
            + f"http: {{ port: {http_port} }}\n"
        )
        seed(root, 1)
        process = start(root, log, http_port)
        try:
            assert wait_for_log(log, '"started"', 0, 30), log.read_text()[-2000:]
            connected_by = time.monotonic() + 30
            while peer.connections == 0:
                assert process.poll() is None, log.read_text()[-2000:]
                assert time.monotonic() < connected_by, log.read_text()[-2000:]
                time.sleep(0.05)
            body = wait_for_health(http_port, 503, 15)  # stalled past --stall-after 2
            assert body["status"] == "stalled"
            assert body["stall_after_seconds"] == 2
            asked = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=STOP_BOUND + 5) == 0
            assert time.monotonic() - asked < STOP_BOUND
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    text = log.read_text()
    assert '"interrupted"' in text and '"stopped"' in text, text[-2000:]
    store = SQLiteStore(root / "state.db")
    try:
        (delivery,) = store._all("SELECT status, attempts, claimed_by FROM deliveries")
    finally:
        store.close()
    assert tuple(delivery) == ("pending", 0, None)  # left to retry, not counted as an attempt

    with running_smtp_server() as good:  # the restart, against a peer that answers
        config.write_text(config.read_text().replace(f"port: {peer.port}", f"port: {good.port}"))
        mark = log.stat().st_size
        process = start(root, log, http_port)
        try:
            assert wait_for_log(log, '"sent"', mark, 30), log.read_text()[-2000:]
            assert wait_for_health(http_port, 200, 10)["status"] == "ok"
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=STOP_BOUND + 5) == 0
        assert [m.rcpt_tos[0] for m in good.received] == ["c00000@test.example"]

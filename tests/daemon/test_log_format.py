"""An operator ships `journey run --log-format json` to a log store: every line parses as JSON.

Third-party libraries' records, warnings and tracebacks included, while SMTP
fails and HTTP clients misbehave; `--log-format text` stays readable.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

from journey.daemon.logs import StateLog
from journey.logsetup import logging_to
from tests.daemon.crash_harness import ROOT, seed, wait_for_log
from tests.daemon.workspace_factory import make_workspace
from tests.support.smtp_server import free_port

TOKEN = "t0k3n-" + "x7Qp9Lm2" * 5  # long and mixed, as a real token is


def test_library_records_warnings_and_thread_tracebacks_are_json_lines() -> None:
    stream = io.StringIO()
    with logging_to("json", stream) as handler:
        _log_one_of_each(handler)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["event"] for r in records] == ["sent", "log", "log", "log", "log"]
    scheduler, crashed, warned, uncaught = records[1:]
    assert (scheduler["level"], scheduler["logger"]) == ("warning", "apscheduler.scheduler")
    assert scheduler["message"] == "job tick missed"
    assert "ConnectionResetError: peer went away" in crashed["exc_info"]
    assert warned["logger"] == "py.warnings" and "deprecated thing" in warned["message"]
    assert "worker-7" in uncaught["message"] and "ZeroDivisionError" in uncaught["exc_info"]
    assert all(r["ts"].endswith("+00:00") for r in records)
    assert not logging.getLogger().handlers or stream not in [
        getattr(h, "stream", None) for h in logging.getLogger().handlers
    ]  # put back after the block


def _log_one_of_each(handler: logging.StreamHandler) -> None:  # type: ignore[type-arg]
    state = StateLog(fmt="json", stream=handler.stream, now=_now, lock=handler.lock)
    state.emit("sent", contact="c-1", channel="email")
    logging.getLogger("apscheduler.scheduler").warning("job %s missed", "tick")
    try:
        raise ConnectionResetError("peer went away\nsecond line")
    except ConnectionResetError:
        logging.getLogger("journey.channels.smtp").exception("delivery crashed")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("deprecated thing", DeprecationWarning, stacklevel=1)
    thread = threading.Thread(target=_explode, name="worker-7")
    thread.start()
    thread.join()


def test_text_format_keeps_a_traceback_under_its_line() -> None:
    stream = io.StringIO()
    with logging_to("text", stream):
        try:
            {}["missing"]
        except KeyError:
            logging.getLogger("journey.http").exception("handler failed")
    first, *rest = stream.getvalue().splitlines()
    assert " log " in first and "level=error logger=journey.http handler failed" in first
    assert rest and all(line.startswith("    ") for line in rest)
    assert any("KeyError: 'missing'" in line for line in rest)


def test_a_real_daemon_writes_only_json_lines_under_failing_smtp_and_bad_clients(
    tmp_path: Path,
) -> None:
    smtp_port, http_port = free_port(), free_port()  # nothing listens on smtp_port: refused
    root = make_workspace(tmp_path / "ws", smtp_port=smtp_port)
    with (root / "workspace.yaml").open("a") as config:
        config.write(f"http: {{ port: {http_port} }}\n")
    seed(root, 5)
    log = tmp_path / "daemon.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JOURNEY_TOKEN": TOKEN}
    command = [sys.executable, "-m", "journey", "--workspace", str(root), "run"]
    with log.open("ab") as sink:
        daemon = subprocess.Popen(
            [*command, "--tick", "0.2", "--log-format", "json", "--http"],
            stdout=sink,
            stderr=sink,
            env=env,
        )
    try:
        assert wait_for_log(log, '"listening"', 0, 30), log.read_text()[-2000:]
        _misbehave(http_port)
        assert wait_for_log(log, "retry", 0, 30), log.read_text()[-2000:]
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=20)
    lines = [line for line in log.read_text("utf-8").splitlines() if line.strip()]
    assert len(lines) > 3
    for line in lines:
        record = json.loads(line)  # a plain-text or traceback line fails here
        assert isinstance(record, dict) and {"ts", "event"} <= set(record), line


def _misbehave(port: int) -> None:
    """Garbage, a half request, a wrong token, a bad body: bounded, on 127.0.0.1."""
    for raw in (b"\x00\xff garbage\r\n\r\n", b"POST /v1/events HTTP/1.1\r\nContent-Le"):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
            _drain(sock)
    nested = b"[" * 5000 + b"]" * 5000
    for token, body in (("wrong", b"[]"), (TOKEN, b"{not json"), (TOKEN, nested)):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/events",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(request, timeout=5).close()
        except urllib.error.HTTPError as error:
            assert error.code >= 400
    time.sleep(0.3)


def _drain(sock: socket.socket) -> None:
    try:
        while sock.recv(4096):
            pass
    except OSError:
        pass


def _explode() -> None:
    1 / 0  # noqa: B018


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2026, 3, 2, 10, tzinfo=UTC)

"""A real `journey run --http` subprocess for tests, and plain HTTP calls to it (urllib)."""

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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.daemon.crash_harness import ROOT, daemon_command, wait_for_log

TOKEN = secrets.token_urlsafe(32)  # the daemon refuses a weak token


@dataclass
class LiveDaemon:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(
        self, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path, data=body, method=method)
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers), error.read()

    def post_json(self, path: str, records: Any) -> tuple[int, Any]:
        status, _, data = self.call(
            "POST",
            path,
            json.dumps(records).encode(),
            Content_Type="application/json",
            Authorization=f"Bearer {TOKEN}",
        )
        return status, json.loads(data)

    def metrics(self) -> str:
        status, _, data = self.call("GET", "/metrics", Authorization=f"Bearer {TOKEN}")
        assert status == 200, data
        return data.decode()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@contextmanager
def live_daemon(
    root: Path, port: int, *, env: dict[str, str] | None = None
) -> Iterator[LiveDaemon]:
    """Start, wait until it listens, and on leaving stop it with SIGTERM (kill if it hangs)."""
    log = root / "daemon.log"
    log.touch()
    mark = log.stat().st_size  # a restart appends: only its own lines count
    command = daemon_command(root)
    command[command.index("--no-http")] = "--http"
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "JOURNEY_TOKEN": TOKEN, **(env or {})}
    environment.pop("JOURNEY_SECRET", None)  # the default: no secret in the environment
    with log.open("ab") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=sink, env=environment)
    daemon = LiveDaemon(process=process, port=port, log=log)
    try:
        assert wait_for_log(log, '"listening"', mark, 30), daemon.tail()
        yield daemon
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(condition: Any, timeout: float, what: str) -> Any:
    """Poll `condition()` until it is truthy (and return it) or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            value = condition()
            if value:
                return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")

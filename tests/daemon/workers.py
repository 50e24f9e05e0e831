"""Many `journey run` processes on one PostgreSQL database, for the many-worker tests.

`Workers` starts, kills and restarts real subprocesses (each with its own log, all on one
workspace and database); the helpers seed the shared inbox and read what was sent. Used by
tests/daemon/test_many_workers.py, test_worker_kills.py and test_postgres_restart.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from journey.daemon import inbox
from journey.ingest import parse_event
from journey.store.postgres import PostgresStore
from tests.daemon.crash_harness import daemon_command
from tests.daemon.live_daemon import TOKEN
from tests.daemon.workspace_factory import contacts, signups

ROOT = Path(__file__).resolve().parents[2]
LEASE = "3"  # seconds: a dead or frozen worker's shards move within about 4 s
SHARDS = 64


class Workers:
    """`journey run` processes on one workspace and database, each with its own log."""

    def __init__(
        self,
        root: Path,
        database: str,
        logs: Path,
        *,
        env: dict[str, str] | None = None,
        lease: str = LEASE,
    ) -> None:
        self.root, self.database, self.logs, self.lease = root, database, logs, lease
        self.env = {
            **os.environ,
            "JOURNEY_DATABASE_URL": database,
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        self.env.pop("JOURNEY_TOKEN", None)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._log_size_before: dict[str, int] = {}  # where the latest process's lines begin

    def start(
        self, name: str, root: Path | None = None, *, wait: bool = True, http: bool = False
    ) -> subprocess.Popen[bytes]:
        """Start worker `name` (again); with `wait`, until it says `started`; with `http`,
        serving the API (the workspace's `http:` port, the token of tests/daemon/live_daemon)."""
        log = self.log(name)
        log.touch()
        self._log_size_before[name] = log.stat().st_size
        command = daemon_command(root or self.root, "--shard-lease", self.lease)
        env = self.env
        if http:
            command[command.index("--no-http")] = "--http"
            env = {**env, "JOURNEY_TOKEN": TOKEN}
        with log.open("ab") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=sink, env=env)
        self.processes[name] = process
        if wait:
            self.wait_started(name)
        return process

    def wait_started(self, name: str) -> None:
        """Until the latest process of `name` says `started` (a SIGTERM before that kills it)."""
        log, process = self.log(name), self.processes[name]
        with log.open("rb") as reader:
            reader.seek(self._log_size_before[name])
            seen = b""

            def started() -> bool:
                nonlocal seen
                seen = seen[-20:] + reader.read()
                return b'"started"' in seen

            until(started, log, process.poll, every=0.1)

    def kill(self, name: str) -> None:
        """kill -9: no stop, no release; its leases run out by themselves."""
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def text(self, name: str) -> str:
        return self.log(name).read_text(errors="replace")

    def stop_all(self) -> list[int | None]:
        """SIGTERM every live worker (SIGCONT first: one may be frozen); their exit codes."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for process in self.processes.values():
            try:
                codes.append(process.wait(timeout=30))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                codes.append(None)
        return codes

    def holders(self) -> Counter[str]:
        with psycopg.connect(self.database) as conn:
            rows = conn.execute(
                "SELECT holder FROM shards WHERE holder IS NOT NULL AND expires_at > now()"
            ).fetchall()
        return Counter(str(row[0]) for row in rows)


def until(
    condition: Callable[[], bool],
    log: Path | None = None,
    died: Callable[[], int | None] | None = None,
    seconds: float = 45,
    every: float = 0.05,
) -> None:
    """Poll `condition` until true; fail with the log's tail after `seconds` or once the
    process `died` reports an exit status."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if died is not None and died() is not None:
            break
        time.sleep(every)
    tail = log.read_text(errors="replace")[-3000:] if log else ""
    raise AssertionError(f"not reached within {seconds} s\n{tail}")


def seed(database: str, count: int, first: int = 0, *, events: bool = True) -> None:
    """Contacts and (with `events`) their signed_up events, acknowledged into the inbox."""
    store = PostgresStore(database)
    now = datetime.now(UTC)
    people = contacts(first + count)[first:]
    inbox.enqueue_contacts(store, people, now)
    if events:
        records = signups([str(p["id"]) for p in people], now.isoformat())
        inbox.enqueue_events(store, [parse_event(r, received_at=now) for r in records], now)
    store.close()


def outbox_keys(root: Path) -> list[str]:
    """Delivery keys of every complete record in the workspace's outbox, in file order."""
    outbox = root / "outbox.jsonl"
    if not outbox.exists():
        return []
    lines = outbox.read_text().split("\n")[:-1]  # a line still being written is not one yet
    return [json.loads(line)["delivery_key"] for line in lines if line]


class OutboxCount:
    """How many records the workspace's outbox holds, read incrementally (cheap to poll)."""

    def __init__(self, root: Path) -> None:
        self.path = root / "outbox.jsonl"
        self.offset = self.lines = 0

    def __call__(self) -> int:
        if not self.path.exists():
            return 0
        with self.path.open("rb") as reader:
            reader.seek(self.offset)
            data = reader.read()
        self.offset += len(data)
        self.lines += data.count(b"\n")
        return self.lines


def repeated(keys: list[str]) -> list[str]:
    return [key for key, times in Counter(keys).items() if times > 1]


def deliveries_by_status(database: str) -> dict[str, int]:
    """The journey's deliveries by status: one query on a plain connection (cheap to poll,
    where opening a store checks its migrations and starts a pool)."""
    with psycopg.connect(database, connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT status, COUNT(*) FROM deliveries WHERE journey_id = %s GROUP BY status",
            ("welcome-test",),
        ).fetchall()
    return {str(status): int(number) for status, number in rows}


def worker_name(text: str) -> str:
    started = [json.loads(line) for line in text.splitlines() if '"started"' in line]
    return str(started[-1]["worker"])

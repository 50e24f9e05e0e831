"""Several `journey run` processes on one PostgreSQL database: they split the shards and send
every delivery exactly once, a worker frozen past its lease sends nothing for the shards it
lost, and a worker killed with -9 under load loses nothing and repeats nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from journey.daemon import inbox
from journey.ingest import parse_event
from journey.store.postgres import PostgresStore
from tests.daemon.crash_harness import daemon_command
from tests.daemon.workspace_factory import contacts, make_workspace, signups
from tests.support.backends import PostgresBackend

ROOT = Path(__file__).resolve().parents[2]
LEASE = "3"  # seconds: a dead or frozen worker's shards move within about 4 s
SHARDS = 64


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    backend = PostgresBackend()
    yield backend.url(tmp_path, "workers")
    backend.close()


class Workers:
    """`journey run` processes on one workspace and database, each with its own log."""

    def __init__(self, root: Path, database: str, logs: Path) -> None:
        self.root, self.database, self.logs = root, database, logs
        self.env = {**os.environ, "JOURNEY_DATABASE_URL": database, "PYTHONPATH": str(ROOT)}
        self.env.pop("JOURNEY_TOKEN", None)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, root: Path | None = None) -> subprocess.Popen[bytes]:
        log = self.log(name)
        with log.open("ab") as sink:
            process = subprocess.Popen(
                daemon_command(root or self.root, "--shard-lease", LEASE),
                stdout=sink,
                stderr=sink,
                env=self.env,
            )
        self.processes[name] = process
        offset = len(log.read_text(errors="replace").split('"started"')) - 1
        until(lambda: log.read_text(errors="replace").count('"started"') > offset, log)
        return process

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def text(self, name: str) -> str:
        return self.log(name).read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            process.wait(timeout=30)

    def holders(self) -> Counter[str]:
        with psycopg.connect(self.database) as conn:
            rows = conn.execute(
                "SELECT holder FROM shards WHERE holder IS NOT NULL AND expires_at > now()"
            ).fetchall()
        return Counter(str(row[0]) for row in rows)


def until(condition: Callable[[], bool], log: Path | None = None, seconds: float = 45) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log else ""
    raise AssertionError(f"not reached within {seconds} s\n{tail}")


def seed(database: str, count: int, first: int = 0) -> None:
    """Contacts and their signed_up events, acknowledged into the shared inbox."""
    store = PostgresStore(database)
    now = datetime.now(UTC)
    people = contacts(first + count)[first:]
    inbox.enqueue_contacts(store, people, now)
    records = signups([str(p["id"]) for p in people], now.isoformat())
    inbox.enqueue_events(store, [parse_event(r, received_at=now) for r in records], now)
    store.close()


def outbox_keys(root: Path) -> list[str]:
    outbox = root / "outbox.jsonl"
    if not outbox.exists():
        return []
    lines = outbox.read_text().split("\n")[:-1]  # a line still being written is not one yet
    return [json.loads(line)["delivery_key"] for line in lines if line]


def deliveries_by_status(database: str) -> dict[str, int]:
    store = PostgresStore(database)
    try:
        return store.journey_counts("welcome-test").deliveries
    finally:
        store.close()


def worker_name(text: str) -> str:
    started = [json.loads(line) for line in text.splitlines() if '"started"' in line]
    return str(started[-1]["worker"])


def test_two_workers_split_the_shards_and_send_every_delivery_once(
    tmp_path: Path, database: str
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1s")
    workers = Workers(root, database, tmp_path)
    try:
        workers.start("a")
        workers.start("b")
        names = {worker_name(workers.text("a")), worker_name(workers.text("b"))}
        until(lambda: workers.holders() == Counter(dict.fromkeys(names, SHARDS // 2)))
        seed(database, 200)
        until(lambda: len(outbox_keys(root)) >= 400, workers.log("a"))
        sent = {name: workers.text(name).count('"event": "sent"') for name in ("a", "b")}
    finally:
        workers.stop_all()
    keys = outbox_keys(root)
    assert len(keys) == len(set(keys)) == 400
    assert deliveries_by_status(database) == {"sent": 400}
    assert all(count > 0 for count in sent.values()), sent  # both did their share


def test_a_worker_frozen_past_its_lease_loses_its_shards_and_sends_nothing_for_them(
    tmp_path: Path, database: str
) -> None:
    # two machines, each with its own outbox file: one frozen while it holds the lock of a
    # shared file would stop the other writing, which says nothing about shards
    root = make_workspace(tmp_path / "ws", wait="1s")
    other = make_workspace(tmp_path / "ws-b", wait="1s")
    workers = Workers(root, database, tmp_path)

    def sent() -> list[str]:
        return outbox_keys(root) + outbox_keys(other)

    try:
        workers.start("a")
        frozen = workers.start("b", other)
        a, b = worker_name(workers.text("a")), worker_name(workers.text("b"))
        until(lambda: workers.holders() == {a: SHARDS // 2, b: SHARDS // 2})
        seed(database, 200)
        until(lambda: len(outbox_keys(other)) > 0, workers.log("b"))
        frozen.send_signal(signal.SIGSTOP)  # mid-work: it holds claims and shards
        until(lambda: workers.holders() == {a: SHARDS}, workers.log("a"))
        until(lambda: len(set(sent())) >= 400, workers.log("a"))
        written_by_frozen = len(outbox_keys(other))
        before = workers.text("b").count('"shards_lost"')
        frozen.send_signal(signal.SIGCONT)
        until(lambda: workers.text("b").count('"shards_lost"') > before, workers.log("b"))
        # awake again it takes a fair share back; there is nothing left to send for it
        until(lambda: workers.holders() == {a: SHARDS // 2, b: SHARDS // 2}, workers.log("b"))
        assert frozen.poll() is None
    finally:
        workers.stop_all()
    assert len(outbox_keys(other)) == written_by_frozen  # awake, it sent nothing more
    by_survivor = outbox_keys(root)
    assert len(by_survivor) == len(set(by_survivor))
    assert len(set(by_survivor) | set(outbox_keys(other))) == 400
    assert deliveries_by_status(database) == {"sent": 400}
    # A key in both files can only be one the frozen worker wrote in its own file before it
    # froze and had not yet recorded as sent (the crash-duplicates window of
    # docs/operating.md): the survivor cannot read another machine's file.


def test_a_worker_killed_under_load_and_restarted_loses_and_repeats_nothing(
    tmp_path: Path, database: str
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1s")
    workers = Workers(root, database, tmp_path)
    try:
        workers.start("a")
        workers.start("b")
        seed(database, 300)
        for round_number, wanted in enumerate((100, 300)):
            until(lambda n=wanted: len(outbox_keys(root)) >= n, workers.log("a"))  # type: ignore[misc]
            victim = "b" if round_number == 0 else "a"
            workers.processes[victim].send_signal(signal.SIGKILL)
            workers.processes[victim].wait(timeout=30)
            workers.start(victim)
        until(lambda: len(outbox_keys(root)) >= 600, workers.log("a"))
        until(lambda: deliveries_by_status(database) == {"sent": 600}, workers.log("b"))
    finally:
        workers.stop_all()
    keys = outbox_keys(root)
    repeated = [key for key, times in Counter(keys).items() if times > 1]
    assert repeated == []
    assert len(set(keys)) == 600

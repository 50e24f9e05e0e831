"""Several `journey run` processes on one PostgreSQL database: they split the shards and send
every delivery exactly once, a worker frozen past its lease sends nothing for the shards it
lost, and a worker killed with -9 under load loses nothing and repeats nothing."""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon.workers import (
    SHARDS,
    Workers,
    deliveries_by_status,
    outbox_keys,
    repeated,
    seed,
    until,
    worker_name,
)
from tests.daemon.workspace_factory import make_workspace
from tests.support.backends import PostgresBackend


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    backend = PostgresBackend()
    yield backend.url(tmp_path, "workers")
    backend.close()


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
    assert repeated(keys) == []
    assert len(set(keys)) == 600

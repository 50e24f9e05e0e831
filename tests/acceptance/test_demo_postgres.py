"""`journey run --demo --database postgresql://…`: the demo journeys worked by two worker
processes on one PostgreSQL database, every message sent once, the same messages as the
demo on its own SQLite file; `journey status` and `journey report` read the database after."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from journey.channels import read_outbox
from journey.store.postgres import PostgresStore
from tests.support.backends import PostgresBackend

ROOT = Path(__file__).resolve().parents[2]
DAYS = "1"


@pytest.fixture
def backend() -> Iterator[PostgresBackend]:
    made = PostgresBackend()
    yield made
    made.close()


def journey(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "journey", "--workspace", str(root), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)


def workspace(folder: Path) -> Path:
    for name in ("journeys", "templates", "locales"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy(ROOT / "workspace.yaml", folder / "workspace.yaml")
    return folder


def sent_keys(root: Path) -> list[str]:
    records = read_outbox(root / ".journey" / "demo" / "outbox.jsonl")
    return [str(record["delivery_key"]) for record in records]


@pytest.mark.soak
@pytest.mark.timeout(900)  # two demos and three commands, on a loaded shared machine
def test_two_workers_run_the_demo_journeys_and_send_every_message_once(
    tmp_path: Path, backend: PostgresBackend
) -> None:
    database = backend.url(tmp_path, "demo")
    root = workspace(tmp_path / "pg")
    ran = journey(root, "run", "--demo", "--days", DAYS, "--database", database, "--workers", "2")
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "Workers (2 processes on one database)" in ran.stdout
    workers = re.findall(r"^  (\S+) +(\d+) shards +(\d+) messages sent$", ran.stdout, re.M)
    assert len(workers) == 2, ran.stdout
    assert [int(shards) for _, shards, _ in workers] == [32, 32]  # both held shards
    assert all(int(sent) > 0 for _, _, sent in workers)  # and sent from them

    keys = sent_keys(root)
    assert len(keys) == len(set(keys)) == sum(int(sent) for _, _, sent in workers)
    store = PostgresStore(database)
    try:
        recorded = sum(
            store.journey_counts(j).deliveries.get("sent", 0) for j in store.journey_ids()
        )
    finally:
        store.close()
    assert recorded == len(keys)
    # the same messages as the one-daemon demo on its SQLite file
    alone = workspace(tmp_path / "sqlite")
    assert journey(alone, "run", "--demo", "--days", DAYS).returncode == 0
    assert sorted(sent_keys(alone)) == sorted(keys)

    status = journey(root, "status", "--database", database, "--format", "json")
    assert status.returncode == 0, status.stderr
    listed = {w["worker"] for w in json.loads(status.stdout)["workers"]["workers"]}
    assert listed == {name for name, _, _ in workers}
    report = journey(root, "report", "--database", database)
    assert report.returncode == 0, report.stderr
    assert "onboarding-welcome" in report.stdout


def test_the_demo_refuses_a_database_that_holds_another_store(
    tmp_path: Path, backend: PostgresBackend
) -> None:
    database = backend.url(tmp_path, "real")
    PostgresStore(database).close()  # a store no demo made
    ran = journey(workspace(tmp_path / "ws"), "run", "--demo", "--database", database)
    assert ran.returncode == 2
    assert "holds tables no demo made" in ran.stderr
    assert "Traceback" not in ran.stderr

"""Two `journey run` workers on one PostgreSQL database share a schedule's fire by shard: each
contact enters once, and a worker killed with -9 in the middle of the fire leaves its shards'
part to the survivor, who finishes it without entering anyone twice.

The journey re-enters `always` and has one step, so every enrollment ends at once: a fire
applied twice to a contact would show as a second enrollment. Its cron fires once a year;
the test moves the journey clock to now (the row the workers wait on), as the clock reaching
the fire would.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from journey.store.postgres import PostgresStore
from tests.daemon.test_many_workers import SHARDS, Workers, outbox_keys, until, worker_name
from tests.daemon.workspace_factory import contacts, make_workspace
from tests.store.contract.records import contact
from tests.support.backends import PostgresBackend

YEARLY = """\
id: yearly-test
name: Yearly digest
kind: engagement
trigger: { schedule: { cron: "0 0 1 1 *" } }
reentry: always
audience: "true"
quiet_hours: false
frequency_cap: false
steps:
  - id: digest
    send: { channel: email, template: test/followup }
"""


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    backend = PostgresBackend()
    yield backend.url(tmp_path, "fires")
    backend.close()


def yearly_workspace(root: Path) -> Path:
    make_workspace(root)
    (root / "journeys" / "welcome-test.yaml").unlink()
    (root / "journeys" / "yearly-test.yaml").write_text(YEARLY)
    return root


def add_people(database: str, count: int) -> None:
    store = PostgresStore(database)
    try:
        with store.transaction():
            for person in contacts(count):
                store.put_contact(
                    contact(
                        str(person["id"]),
                        consent={"email": True},
                        attributes={"first_name": person["first_name"]},
                    )
                )
    finally:
        store.close()


def fire_now(database: str) -> None:
    """The journey clock reaches its fire (once both workers activated the journey)."""
    with psycopg.connect(database, autocommit=True) as conn:
        until(
            lambda: (
                conn.execute(
                    "SELECT 1 FROM journey_state WHERE journey_id = 'yearly-test'"
                ).fetchone()
                is not None
            )
        )
        conn.execute(
            "UPDATE journey_state SET next_fire_at = now() WHERE journey_id = 'yearly-test'"
        )


def query(database: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(database) as conn:
        return conn.execute(sql, params).fetchall()


def enrollments_per_contact(database: str) -> Counter[int]:
    """How many contacts entered how many times."""
    rows = query(database, "SELECT contact_id, COUNT(*) FROM enrollments GROUP BY contact_id")
    return Counter(int(str(count)) for _, count in rows)


def fire_finished(database: str) -> bool:
    rows = query(database, "SELECT COUNT(*) FROM shard_fires WHERE done_at IS NOT NULL")
    return int(str(rows[0][0])) == SHARDS


def test_two_workers_share_a_schedules_fire_and_each_contact_enters_once(
    tmp_path: Path, database: str
) -> None:
    root = yearly_workspace(tmp_path / "ws")
    add_people(database, 600)
    workers = Workers(root, database, tmp_path)
    try:
        workers.start("a")
        workers.start("b")
        names = {worker_name(workers.text("a")), worker_name(workers.text("b"))}
        until(lambda: workers.holders() == Counter(dict.fromkeys(names, SHARDS // 2)))
        fire_now(database)
        until(lambda: fire_finished(database), workers.log("a"))
        until(lambda: len(outbox_keys(root)) >= 600, workers.log("a"))
    finally:
        workers.stop_all()
    entered = {name: workers.text(name).count('"event": "enrolled"') for name in ("a", "b")}
    assert enrollments_per_contact(database) == {1: 600}
    keys = outbox_keys(root)
    assert len(keys) == len(set(keys)) == 600
    assert sum(entered.values()) == 600
    assert all(count > 0 for count in entered.values()), entered  # each did its shards' part


def test_a_worker_killed_mid_fire_leaves_its_shards_to_the_survivor_who_finishes_them(
    tmp_path: Path, database: str
) -> None:
    people = 3000
    root = yearly_workspace(tmp_path / "ws")
    add_people(database, people)
    workers = Workers(root, database, tmp_path)
    try:
        workers.start("a")
        victim = workers.start("b")
        a, b = worker_name(workers.text("a")), worker_name(workers.text("b"))
        until(lambda: workers.holders() == {a: SHARDS // 2, b: SHARDS // 2})

        def victim_is_mid_fire() -> bool:
            rows = query(
                database,
                "SELECT COUNT(*) FILTER (WHERE f.done_at IS NOT NULL),"
                " COUNT(*) FILTER (WHERE f.done_at IS NULL)"
                " FROM shard_fires f JOIN shards s ON s.shard = f.shard WHERE s.holder = %s",
                b,
            )
            done, left = (int(str(n)) for n in rows[0])
            return done > 0 and left > 0

        fire_now(database)
        until(victim_is_mid_fire, workers.log("b"), seconds=120)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        killed_at = datetime.now(UTC)
        unfinished = query(database, "SELECT COUNT(*) FROM shard_fires WHERE done_at IS NULL")
        until(lambda: workers.holders() == {a: SHARDS}, workers.log("a"))
        until(lambda: fire_finished(database), workers.log("a"), seconds=120)
        until(lambda: len(set(outbox_keys(root))) >= people, workers.log("a"), seconds=120)
    finally:
        workers.stop_all()
    assert int(str(unfinished[0][0])) > 0  # the fire was not over when the worker died
    assert enrollments_per_contact(database) == {1: people}
    late = query(database, "SELECT COUNT(*) FROM enrollments WHERE entered_at > %s", killed_at)
    assert int(str(late[0][0])) > 0  # the survivor entered the dead worker's rest
    assert len(set(outbox_keys(root))) == people

"""Three `journey run` workers on one PostgreSQL database, killed with -9 twenty times at
random moments under load and restarted: every one of 2,000 contacts gets both emails,
and no delivery key is written to the outbox twice.

The workers share one outbox file (one machine), the shortest shard lease (3 s, so a dead
worker's shards move within about 4 s) and the journey `signed_up -> welcome -> wait 1s ->
followup`. A kill lands while the victim is starting, claiming, writing or recording; the
restart does not wait for the new process to be up before the next kill may come.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon.workers import (
    OutboxCount,
    Workers,
    deliveries_by_status,
    repeated,
    seed,
    until,
)
from tests.daemon.workspace_factory import make_workspace
from tests.support.backends import PostgresBackend

CONTACTS = 2000
SENDS = 2 * CONTACTS  # welcome and followup
KILLS = 20
NAMES = ("a", "b", "c")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    backend = PostgresBackend()
    yield backend.url(tmp_path, "kills")
    backend.close()


def outbox_records(root: Path) -> list[dict[str, str]]:
    text = (root / "outbox.jsonl").read_text()
    return [json.loads(line) for line in text.split("\n")[:-1] if line]


# CPU-bound (4,000 sends, 23 process starts; 78 s of CPU besides PostgreSQL's): 307 s at
# load 10-16 on 2 cores, so its own bound, above the suite's 240 s
@pytest.mark.soak
@pytest.mark.timeout(400)
def test_twenty_kills_of_three_workers_lose_nothing_and_repeat_no_delivery(
    tmp_path: Path, database: str
) -> None:
    rng = random.Random(17)
    root = make_workspace(tmp_path / "ws", wait="1s")
    workers = Workers(root, database, tmp_path)
    # the kills come at random points of the run, the last with a sixth of it still to go
    moments = sorted(rng.randrange(SENDS * 5 // 6) for _ in range(KILLS))
    written = OutboxCount(root)
    kills: list[tuple[str, int]] = []  # (victim, records in the outbox at the kill)
    try:
        for name in NAMES:
            workers.start(name)
        seed(database, CONTACTS)
        for moment in moments:
            reached = lambda m=moment: written() >= m  # noqa: E731
            until(reached, workers.log("a"), seconds=300, every=0.2)  # type: ignore[misc]
            victim = rng.choice(NAMES)
            workers.kill(victim)
            kills.append((victim, written()))
            workers.start(victim, wait=False)
        for name in NAMES:  # the last restarts are up (a stop before that kills outright)
            workers.wait_started(name)
        until(
            lambda: deliveries_by_status(database) == {"sent": SENDS},
            workers.log("a"),
            seconds=300,
            every=1.0,
        )
    finally:
        codes = workers.stop_all()
    records = outbox_records(root)
    keys = [r["delivery_key"] for r in records]
    assert repeated(keys) == []
    everyone = {(f"c{n:05d}", step) for n in range(CONTACTS) for step in ("welcome", "followup")}
    assert {(r["contact_id"], r["step_id"]) for r in records} == everyone
    assert len(kills) == KILLS
    assert all(at < SENDS for _, at in kills), kills  # each one under load
    assert codes == [0] * len(NAMES)  # the last of each stopped cleanly

"""A worker on PostgreSQL wrote a batch to the shared outbox and stopped before recording it;
busy workers then wrote 3,000 more lines. The worker that takes its shards over finds the
batch however far back it lies (it reads back to when the deliveries in doubt fell due, not a
count of lines), records it as sent and writes none of it again."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from journey.channels import OutboxChannel
from journey.clock import VirtualClock
from journey.daemon import inbox
from journey.daemon.service import Daemon, DaemonOptions
from journey.ingest import parse_event
from journey.model import Message
from tests.daemon.workspace_factory import contacts, make_workspace, signups
from tests.support.backends import PostgresBackend

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CONTACTS = 20
BUSY_LINES = 3000  # three times what the outbox recovery used to read back


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    backend = PostgresBackend()
    yield backend.url(tmp_path, "takeover")
    backend.close()


def worker(root: Path, url: str, clock: VirtualClock) -> tuple[Daemon, io.StringIO]:
    log = io.StringIO()
    made = Daemon(
        DaemonOptions(root=root, log_format="json", env={"JOURNEY_SECRET": "s"}, database=url),
        clock=clock,
        stream=log,
    )
    made.open()
    return made, log


def busy_lines(path: Path, clock: VirtualClock) -> None:
    """Other workers' records (sent and recorded by them), written after the lost batch."""
    others = OutboxChannel(name="email", path=path, clock=clock)
    for batch in range(BUSY_LINES // 500):
        clock.advance(timedelta(seconds=5))
        others.deliver_many(
            [
                Message(
                    delivery_key=f"other-{batch}-{n}",
                    channel="email",
                    message="email",
                    to=f"other{n}@test.example",
                    locale="en",
                    subject="Elsewhere",
                    text="Sent by a busy worker.",
                )
                for n in range(500)
            ]
        )
    others.close()


def test_a_taken_over_batch_thousands_of_lines_back_is_recorded_not_written_again(
    tmp_path: Path, database: str
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1h")  # the welcome now, nothing else soon
    outbox = root / "outbox.jsonl"
    clock = VirtualClock(START)
    first, _ = worker(root, database, clock)
    people = contacts(CONTACTS)
    inbox.enqueue_contacts(first.store, people, clock.now())
    records = signups([str(p["id"]) for p in people], clock.now().isoformat())
    events = [parse_event(r, received_at=clock.now()) for r in records]
    inbox.enqueue_events(first.store, events, clock.now())
    # it stops between the outbox write and the record: the batch is written, still pending
    first.worker._record = lambda results: None  # type: ignore[method-assign]
    first.tick()
    first.close()
    lost = [json.loads(line)["delivery_key"] for line in outbox.read_text().splitlines()]
    assert len(lost) == CONTACTS
    busy_lines(outbox, clock)

    clock.advance(timedelta(minutes=1))
    taker, log = worker(root, database, clock)  # every shard is free: it takes them all
    try:
        (started,) = [json.loads(line) for line in log.getvalue().splitlines() if "started" in line]
        assert started["shards"] == 64
        assert started["recovered_sent"] == CONTACTS
        taker.tick()
        clock.advance(timedelta(seconds=30))
        taker.tick()
        counts = taker.store.journey_counts("welcome-test").deliveries
    finally:
        taker.close()
    assert counts == {"sent": CONTACTS}
    copies = Counter(json.loads(line)["delivery_key"] for line in outbox.read_text().splitlines())
    assert [key for key in lost if copies[key] != 1] == []
    assert len(copies) == CONTACTS + BUSY_LINES

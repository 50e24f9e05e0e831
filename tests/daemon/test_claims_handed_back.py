"""A delivery a PostgreSQL worker claimed but did not send never waits out the claim's
5-minute lease: the loss seen under a PostgreSQL restart (799 of 800 delivered), where
renewals failed while the server was away and a worker's view of its shard lease ended.

- Its own view of the lease ends before the database's (by design: counted from when the
  renewal was asked), so for a moment it claims work it will not send: the claim is handed
  back, and the delivery goes out at the next round once the view is renewed.
- Its leases ran out in the database too and it took its shards back: the claims it made
  before are fenced out like anyone's, not left to run out.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from journey.clock import VirtualClock
from journey.daemon import inbox
from journey.daemon.service import Daemon, DaemonOptions
from journey.ingest import parse_event
from tests.daemon.workspace_factory import contacts, make_workspace, signups
from tests.support.backends import PostgresBackend

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    backend = PostgresBackend()
    yield backend.url(tmp_path, "handback")
    backend.close()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def daemon(tmp_path: Path, database: str, clock: VirtualClock) -> Iterator[Daemon]:
    root = make_workspace(tmp_path / "ws", wait="1h")
    made = Daemon(
        DaemonOptions(
            root=root,
            log_format="json",
            env={"JOURNEY_SECRET": "s"},
            database=database,
            shard_lease=timedelta(seconds=3),  # renewed every second
        ),
        clock=clock,
        stream=io.StringIO(),
    )
    made.open()
    people = contacts(3)
    now = clock.now()
    inbox.enqueue_contacts(made.store, people, now)
    records = signups([str(p["id"]) for p in people], now.isoformat())
    inbox.enqueue_events(made.store, [parse_event(r, received_at=now) for r in records], now)
    made.shell.drain_inbox()
    made.runner.run_due(now)  # three welcome emails queued, none sent
    yield made
    made.close()


def test_a_claim_the_worker_would_not_send_is_handed_back_at_once(
    daemon: Daemon, clock: VirtualClock
) -> None:
    keeper = daemon.shards
    assert keeper is not None
    daemon.worker.holds_shard = lambda contact_id: False  # its view ended first
    assert daemon.worker.run_due() == []  # claimed, and not sent from here
    daemon.worker.holds_shard = keeper.holds  # renewed
    clock.advance(timedelta(seconds=1))
    assert [r.status for r in daemon.worker.run_due()] == ["sent"] * 3
    assert daemon.store.journey_counts("welcome-test").deliveries == {"sent": 3}


def test_shards_taken_back_after_their_leases_ran_out_free_the_workers_own_claims(
    daemon: Daemon, clock: VirtualClock, database: str
) -> None:
    keeper = daemon.shards
    assert keeper is not None
    now = clock.now()
    stale = daemon.store.claim_due_deliveries(
        now, 10, worker=daemon.worker_name, lease_until=now + timedelta(minutes=5)
    )
    assert len(stale) == 3  # claimed, then the server went away before they were sent
    with psycopg.connect(database, autocommit=True) as admin:  # renewals failed meanwhile
        admin.execute("UPDATE shards SET expires_at = now() - interval '1 second'")
    deadline = time.monotonic() + 30
    while keeper.held() and time.monotonic() < deadline:
        time.sleep(0.1)  # the next renewal finds them gone
    assert keeper.held() == {}
    assert len(keeper.rebalance(force=True)) == 64  # taken back: no one else is here
    clock.advance(timedelta(seconds=1))
    assert [r.status for r in daemon.worker.run_due()] == ["sent"] * 3

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


def _lapsed_holder_claims(database: str, daemon: Daemon, clock: VirtualClock) -> list[str]:
    """Another worker held every shard and claimed the three emails; then it was cut off
    from the database (its leases ran out) and this daemon took the shards over."""
    keeper = daemon.shards
    assert keeper is not None
    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute("UPDATE shards SET holder = 'vm-cut-off', expires_at = now() + interval '1h'")
    clock.advance_to(datetime.now(UTC))  # claims run by the database's clock from here
    now = clock.now()
    claimed = daemon.store.claim_due_deliveries(
        now, 10, worker="vm-cut-off", lease_until=now + timedelta(minutes=5)
    )
    assert len(claimed) == 3
    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute("UPDATE shards SET expires_at = now() - interval '1 second'")
    deadline = time.monotonic() + 30
    while keeper.held() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(keeper.rebalance(force=True)) == 64
    return [record.delivery_key for record in claimed]


def test_a_delivery_a_cut_off_worker_claimed_is_not_sent_again_when_it_records_the_send(
    daemon: Daemon, clock: VirtualClock, database: str
) -> None:
    """The PostgreSQL restart's duplicate: the other worker had sent one email just before
    the server went away; taking its shard over must not send that email again."""
    sent_there, *unsent = _lapsed_holder_claims(database, daemon, clock)
    clock.advance(timedelta(seconds=1))
    assert daemon.worker.run_due() == []  # its claims still run: it may be sending them
    daemon.store.mark_sent([(sent_there, 1)], clock.now())  # it reconnects and records it
    daemon.store.release_claims("vm-cut-off")  # and hands back what it did not send
    results = daemon.worker.run_due()
    assert sorted(r.record.delivery_key for r in results) == sorted(unsent)
    assert [r.status for r in results] == ["sent"] * 2
    assert daemon.store.journey_counts("welcome-test").deliveries == {"sent": 3}


def test_a_delivery_a_worker_that_never_comes_back_claimed_is_sent_after_two_leases(
    daemon: Daemon, clock: VirtualClock, database: str
) -> None:
    _lapsed_holder_claims(database, daemon, clock)
    assert daemon.worker.run_due() == []
    deadline = time.monotonic() + 30
    sent: list[str] = []
    while len(sent) < 3 and time.monotonic() < deadline:  # 2 x the 3 s shard lease, not 5 min
        clock.advance_to(datetime.now(UTC))
        sent += [r.record.delivery_key for r in daemon.worker.run_due() if r.status == "sent"]
        time.sleep(0.2)
    assert len(sent) == 3

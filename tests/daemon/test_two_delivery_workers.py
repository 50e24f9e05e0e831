"""Two delivery workers on one store: a worker whose lease ran out mid-batch stops sending,
and the worker that takes the batch over sends the rest; every message goes out once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from journey.channels import read_outbox
from journey.channels.base import DeliveryReceipt
from journey.clock import VirtualClock
from journey.daemon.delivery import DeliveryWorker
from journey.model import Message
from journey.store.url import open_store
from tests.daemon.conftest import DaemonHarness
from tests.daemon.workspace_factory import make_workspace


class SlowOutbox:
    """The workspace's outbox channel, one message at a time, each send taking 6 virtual minutes."""

    def __init__(self, outbox: object, clock: VirtualClock) -> None:
        self.outbox = outbox
        self.clock = clock

    def deliver(self, message: Message) -> DeliveryReceipt:
        receipt: DeliveryReceipt = self.outbox.deliver(message)  # type: ignore[attr-defined]
        self.clock.advance(timedelta(minutes=6))  # longer than the 5-minute lease
        return receipt


def test_a_worker_past_its_lease_leaves_the_rest_to_the_next(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws")
    harness = harness_factory(root)
    harness.signup(4)
    daemon = harness.daemon
    daemon.shell.drain_inbox()
    daemon.runner.run_due(harness.clock.now())  # four welcome emails queued, none sent
    [(name, outbox)] = daemon.worker.channels.items()
    slow = DeliveryWorker(
        store=daemon.store,
        channels={name: SlowOutbox(outbox, harness.clock)},
        clock=harness.clock,
        worker="slow",
        batch_size=10,
    )
    other_store = open_store(daemon.store.path)
    other = DeliveryWorker(
        store=other_store, channels={name: outbox}, clock=harness.clock, worker="other"
    )
    try:
        first = slow.run_due()
        assert [r.status for r in first] == ["sent"]  # then its lease had run out
        rest = other.run_due()
        assert [r.status for r in rest] == ["sent"] * 3
    finally:
        other_store.close()
    sent = Counter(r["contact_id"] for r in read_outbox(root / "outbox.jsonl"))
    assert sorted(sent) == ["c00000", "c00001", "c00002", "c00003"]
    assert set(sent.values()) == {1}
    assert harness.store.journey_counts("welcome-test").deliveries == {"sent": 4}

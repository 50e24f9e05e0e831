"""The runner hands the deliveries it just wrote to the worker of its shell, so the worker does
not decode them again; each is still claimed in the store before it is attempted, so what
another worker claimed first stays theirs, and a crash cannot send one twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from journey.channels import read_outbox
from journey.engine.handoff import WrittenDeliveries
from journey.records import DeliveryRecord
from tests.daemon.conftest import DaemonHarness
from tests.daemon.workspace_factory import make_workspace


def test_a_delivery_another_worker_claimed_first_is_not_sent_from_the_handoff(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    harness = harness_factory(make_workspace(tmp_path / "ws"))
    ids = harness.signup(3)
    daemon, store, now = harness.daemon, harness.store, harness.clock.now()
    daemon.shell.drain_inbox()
    daemon.runner.run_due(now)  # three welcomes written, and handed to the worker
    assert daemon.worker.written is not None and len(daemon.worker.written) == 3
    [theirs] = store.claim_due_deliveries(
        now, 1, worker="other", lease_until=now + timedelta(minutes=5)
    )
    results = daemon.worker.run_due()
    assert sorted(r.record.contact_id for r in results) == sorted(
        i for i in ids if i != theirs.contact_id
    )
    assert all(r.status == "sent" and r.record.lease is not None for r in results)
    sent = [r["contact_id"] for r in read_outbox(tmp_path / "ws" / "outbox.jsonl")]
    assert theirs.contact_id not in sent and len(sent) == 2
    held = store.get_delivery(theirs.delivery_key)
    assert held is not None and held.status == "pending"  # still theirs to send
    assert len(daemon.worker.written) == 0  # every due one was claimed: nothing kept


def test_the_worker_sends_what_the_runner_wrote_as_it_would_read_it_back(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    """Handed over or read back, the message and what the store records are the same."""
    outboxes = []
    for name, handed in (("handed", True), ("read", False)):
        harness = harness_factory(make_workspace(tmp_path / name))
        harness.signup(2)
        if not handed:
            harness.daemon.worker.written = None
        harness.run_for(2)
        outboxes.append(list(read_outbox(tmp_path / name / "outbox.jsonl")))
        counts = harness.store.journey_counts("welcome-test")
        assert counts.deliveries == {"sent": 4}
    handed_records, read_records = outboxes
    assert len(handed_records) == 4
    assert [r["delivery_key"] for r in handed_records] == [r["delivery_key"] for r in read_records]
    assert [r["subject"] for r in handed_records] == [r["subject"] for r in read_records]


def _pending(number: int, html: str) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_key=f"k{number}",
        enrollment_id=f"e{number}",
        journey_id="j",
        step_id="welcome",
        contact_id=f"c{number}",
        channel="email",
        kind="email",
        category="marketing",
        payload={"subject": "Hi", "text": "Hello", "html": html},
        created_at=datetime(2026, 3, 2, 7, 0, tzinfo=UTC),
    )


def test_the_handoff_keeps_the_first_written_within_its_count_and_text_bounds() -> None:
    """A population's first sends are kept for the worker's claims (many batches), but
    rendered copy is kilobytes a message: what is held is bounded by its text too."""
    by_count = WrittenDeliveries(kept=3, kept_chars=10**9)
    by_text = WrittenDeliveries(kept=1000, kept_chars=2500)
    for number in range(10):
        by_count.written(_pending(number, "<p>short</p>"))
        by_text.written(_pending(number, "x" * 1000))
    assert list(by_count.records) == ["k0", "k1", "k2"]
    assert list(by_text.records) == ["k0", "k1", "k2"]  # the third crosses the bound
    by_text.claimed([by_text.records["k0"]], all_due=False)
    by_text.written(_pending(10, "x" * 1000))  # still over: nothing more until emptied
    assert list(by_text.records) == ["k1", "k2"]
    by_text.claimed(list(by_text.records.values()), all_due=False)
    by_text.written(_pending(11, "x" * 1000))
    assert list(by_text.records) == ["k11"]

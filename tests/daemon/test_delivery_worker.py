"""The delivery worker: consent at send time, List-Unsubscribe, retries, dead letters, outcomes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from journey.channels import read_outbox
from journey.unsubscribe import verify_unsubscribe_token
from tests.daemon.conftest import DaemonHarness
from tests.daemon.workspace_factory import make_workspace
from tests.support.smtp_server import SmtpTestServer


def test_every_email_carries_a_signed_one_click_unsubscribe_link(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    harness = harness_factory(make_workspace(tmp_path / "ws"))
    harness.signup(3)
    harness.run_for(2)
    records = list(read_outbox(tmp_path / "ws" / "outbox.jsonl"))
    assert len(records) == 6
    key = harness.daemon.unsubscribe_keys().current  # the store's own, made with it
    for record in records:
        token = record["unsubscribe_url"].rsplit("/", 1)[1]
        assert verify_unsubscribe_token(key, token) == (record["contact_id"], "welcome-test")


def test_consent_withdrawn_through_the_inbox_suppresses_the_next_step(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    harness = harness_factory(make_workspace(tmp_path / "ws", wait="1h"))
    ids = harness.signup(2)
    harness.run_for(1)
    # The followup is due in an hour; c00000 withdraws consent meanwhile.
    harness.store.enqueue(
        [("contact", {"id": ids[0], "consent": {"email": False}})], harness.clock.now()
    )
    harness.run_for(3600, step=600)
    counts = harness.store.journey_counts("welcome-test")
    assert counts.steps["followup"].outcomes.get("suppressed", 0) == 1  # the engine's gate
    records = list(read_outbox(tmp_path / "ws" / "outbox.jsonl"))
    assert [r["contact_id"] for r in records if r["step_id"] == "followup"] == [ids[1]]


def test_worker_rechecks_consent_for_a_delivery_already_queued(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    harness = harness_factory(make_workspace(tmp_path / "ws"))
    ids = harness.signup(1)
    daemon = harness.daemon
    daemon.shell.drain_inbox()
    daemon.runner.run_due(harness.clock.now())  # welcome is queued, not yet sent
    contact = harness.store.get_contact(ids[0])
    assert contact is not None
    from dataclasses import replace

    harness.store.put_contact(replace(contact, consent={"email": False}))
    results = daemon.worker.run_due()
    assert [r.status for r in results] == ["suppressed"]
    assert "consent" in results[0].detail
    assert harness.store.journey_counts("welcome-test").deliveries == {"suppressed": 1}


def test_transient_failures_retry_with_backoff_then_park(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    server = SmtpTestServer()
    server.start()
    try:
        server.fail_always("451 4.3.0 try again later")
        harness = harness_factory(make_workspace(tmp_path / "ws", smtp_port=server.port))
        harness.signup(1)
        harness.run_for(0)

        def welcome(event: str) -> list[str]:
            return [line for line in harness.logs(event) if '"step": "welcome"' in line]

        assert '"attempt": 1' in welcome("retry")[0]
        # Backoff: 30 s, 60 s, 120 s (minus up to 20% jitter); max_attempts=4 -> parked.
        harness.run_for(20)
        assert len(welcome("retry")) == 1
        harness.run_for(600, step=5)
        assert len(welcome("retry")) == 3
        assert len(welcome("parked")) == 1
        assert welcome("dead") == []
        counts = harness.store.journey_counts("welcome-test")
        assert counts.deliveries.get("parked") == 2  # welcome and followup
        assert counts.steps["welcome"].outcomes["parked"] == 1
        harness.run_for(2)
        # parked is not final: no journey.failed until someone gives up on it
        failed = harness.store.count_events("c00000", "journey.failed", None, harness.clock.now())
        assert failed == 0
    finally:
        server.stop()


def test_permanent_failure_is_dead_lettered_at_once(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    server = SmtpTestServer()
    server.start()
    try:
        server.fail_next("550 5.1.1 no such user")
        harness = harness_factory(make_workspace(tmp_path / "ws", smtp_port=server.port))
        harness.signup(2)
        harness.run_for(3)
        assert len(harness.logs("dead")) == 1
        assert harness.logs("retry") == []
        assert len(server.received) == 3  # the other contact's two and one followup
    finally:
        server.stop()


def test_sent_deliveries_become_journey_sent_events(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    harness = harness_factory(make_workspace(tmp_path / "ws"))
    harness.signup(2)
    harness.run_for(3)
    now = harness.clock.now() + timedelta(seconds=1)
    assert harness.store.count_events("c00000", "journey.sent", None, now) == 2
    assert harness.store.inbox_size() == 0

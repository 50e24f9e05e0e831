"""Daemon step semantics: unsubscribe links in templates, webhook on_failure, rate limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from journey.channels import read_outbox
from journey.engine.runner import PREVIEW_SECRET
from journey.unsubscribe import verify_unsubscribe_token
from tests.daemon.conftest import DaemonHarness
from tests.daemon.workspace_factory import make_workspace
from tests.support.http_server import HttpTestServer, Reply

WEBHOOK_JOURNEY = """\
id: hook-test
name: Webhook test
kind: onboarding
trigger: {{ event: signed_up }}
quiet_hours: false
frequency_cap: false
steps:
  - id: tell-crm
    webhook:
      channel: crm
      path: /hooks
      body: {{ who: "{{{{ contact.id }}}}" }}
      on_failure: {on_failure}
  - id: pause
    wait: 1h
  - id: after
    send: {{ channel: email, template: test/followup }}
"""


def _with_unsubscribe_link(root: Path) -> None:
    body = root / "templates" / "test" / "welcome" / "body.txt"
    body.write_text("Hello {{ contact.first_name }}.\nUnsubscribe: {{ unsubscribe_url }}\n")


def test_unsubscribe_url_in_a_template_is_the_signed_list_unsubscribe_link(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws")
    _with_unsubscribe_link(root)
    harness = harness_factory(root)
    harness.signup(2)
    harness.run_for(0)
    welcomes = [r for r in read_outbox(root / "outbox.jsonl") if r["step_id"] == "welcome"]
    assert len(welcomes) == 2
    for record in welcomes:
        link = record["text"].split("Unsubscribe: ", 1)[1].strip()
        assert link.startswith("http://127.0.0.1:8787/v1/unsubscribe/")
        token = link.rsplit("/", 1)[1]
        assert verify_unsubscribe_token(harness.daemon.unsubscribe_keys().current, token) == (
            record["contact_id"],
            "welcome-test",
        )
        assert record["unsubscribe_url"] == link


def test_simulations_sign_links_with_a_placeholder_secret(tmp_path: Path) -> None:
    from journey.localtime import parse_instant
    from journey.model import EventTrigger
    from tests.engine.engine_world import World
    from tests.engine.test_triggers import plan

    class Capture:
        context: ClassVar[dict[str, object]] = {}

        def render(self, **kw: object) -> object:
            from tests.engine.engine_world import StubRenderer

            Capture.context = dict(kw["context"])  # type: ignore[call-overload]
            return StubRenderer().render(**kw)  # type: ignore[arg-type]

    world = World(tmp_path, parse_instant("2026-03-02T08:00:00Z"))
    runner = world.load(plan(EventTrigger(event="go")))
    runner.renderer = Capture()  # type: ignore[assignment]
    world.contact(id="c1")
    world.event("go")
    link = str(Capture.context["unsubscribe_url"])
    assert link.startswith("http://127.0.0.1:8787/v1/unsubscribe/")
    assert verify_unsubscribe_token(PREVIEW_SECRET, link.rsplit("/", 1)[1]) == ("c1", "j")


def _webhook_workspace(root: Path, server: HttpTestServer, on_failure: str) -> Path:
    make_workspace(root)
    (root / "journeys" / "welcome-test.yaml").unlink()
    with (root / "workspace.yaml").open("a") as config:
        config.write(
            f"  crm: {{ kind: webhook, message: webhook, url: {json.dumps(server.url)} }}\n"
        )
    text = (root / "workspace.yaml").read_text().replace('database: "state.db"\n', "")
    (root / "workspace.yaml").write_text(text + 'database: "state.db"\n')
    (root / "journeys" / "hook-test.yaml").write_text(WEBHOOK_JOURNEY.format(on_failure=on_failure))
    return root


def test_webhook_rejected_by_the_server_exits_the_enrollment_with_on_failure_exit(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    server = HttpTestServer()
    server.start()
    try:
        server.default = Reply(status=400, body=b'{"error": "no such customer"}')
        harness = harness_factory(_webhook_workspace(tmp_path / "ws", server, "exit"))
        harness.signup(1)
        harness.run_for(2)
        assert len(server.requests) == 1
        counts = harness.store.journey_counts("hook-test")
        assert counts.deliveries == {"dead": 1}
        assert counts.steps["tell-crm"].outcomes.get("failed") == 1
        assert counts.exited == {"error": 1}
        harness.run_for(7200, step=600)
        assert "after" not in counts.steps
        assert harness.store.journey_counts("hook-test").deliveries == {"dead": 1}
    finally:
        server.stop()


def test_webhook_failure_with_on_failure_continue_goes_on(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    server = HttpTestServer()
    server.start()
    try:
        server.default = Reply(status=400)
        harness = harness_factory(_webhook_workspace(tmp_path / "ws", server, "continue"))
        harness.signup(1)
        harness.run_for(7200, step=600)
        counts = harness.store.journey_counts("hook-test")
        assert counts.steps["tell-crm"].outcomes.get("failed") == 1
        assert counts.exited == {"completed": 1}
        assert counts.deliveries.get("sent") == 1  # the email after the wait
    finally:
        server.stop()


def test_a_webhook_answered_429_is_retried_when_retry_after_says(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    """The CRM is rate-limiting: it asks for 90 s, well after the 30 s backoff would retry."""
    server = HttpTestServer()
    server.start()
    try:
        server.reply_next(Reply(status=429, body=b"slow down", headers={"Retry-After": "90"}))
        harness = harness_factory(_webhook_workspace(tmp_path / "ws", server, "exit"))
        harness.signup(1)
        harness.run_for(0)
        [retry] = [json.loads(line) for line in harness.logs("retry")]
        assert retry["retry_at"] == (harness.clock.now() + timedelta(seconds=90)).isoformat()
        harness.run_for(85, step=5)
        assert len(server.requests) == 1
        harness.run_for(10, step=5)
        assert len(server.requests) == 2
        counts = harness.store.journey_counts("hook-test")
        assert counts.steps["tell-crm"].outcomes.get("failed") is None
        assert counts.exited == {}
    finally:
        server.stop()


def test_channel_rate_limit_holds_the_rest_pending_for_later_ticks(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1d")
    config = (root / "workspace.yaml").read_text()
    (root / "workspace.yaml").write_text(config.replace("path:", "rate_limit: 2/s, path:"))
    harness = harness_factory(root)
    harness.signup(10)
    harness.run_for(0)
    sent = harness.store.journey_counts("welcome-test").deliveries
    assert sent == {"sent": 2, "pending": 8}  # a full bucket: one second's worth
    harness.run_for(2)
    assert harness.store.journey_counts("welcome-test").deliveries == {"sent": 6, "pending": 4}
    harness.run_for(3)
    assert harness.store.journey_counts("welcome-test").deliveries == {"sent": 10}
    assert len(list(read_outbox(root / "outbox.jsonl"))) == 10


def test_a_rotation_while_the_daemon_runs_signs_the_next_links_with_the_new_key(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    from datetime import UTC, datetime

    from journey.daemon.secret import rotate_key
    from journey.store.sqlite import SQLiteStore

    root = make_workspace(tmp_path / "ws")
    _with_unsubscribe_link(root)
    harness = harness_factory(root)
    before = harness.daemon.unsubscribe_keys().current
    other = SQLiteStore(root / "state.db")  # what `journey secret rotate` does, beside it
    rotate_key(other, datetime.now(UTC))
    other.close()
    harness.signup(1)
    harness.run_for(0)
    (record,) = [r for r in read_outbox(root / "outbox.jsonl") if r["step_id"] == "welcome"]
    token = record["unsubscribe_url"].rsplit("/", 1)[1]
    ring = harness.daemon.unsubscribe_keys()
    assert ring.current != before and before in ring.accepted  # the old one still verifies
    assert verify_unsubscribe_token(ring.current, token) == (record["contact_id"], "welcome-test")
    assert len(harness.logs("key_rotated")) == 1

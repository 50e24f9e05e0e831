"""From workspace.yaml to live channels: what the daemon does at start-up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from journey.channels import (
    OutboxChannel,
    SmtpChannel,
    WebhookChannel,
    WebhookRequest,
    build_workspace_channels,
    direct_webhook,
)
from journey.clock import VirtualClock
from journey.errors import JourneyError
from journey.model import Message
from journey.unsubscribe import make_unsubscribe_token, unsubscribe_url
from journey.workspace import load_workspace
from tests.support.http_server import HttpTestServer
from tests.support.smtp_server import SmtpTestServer

WORKSPACE = """\
unsubscribe_base_url: https://mail.acme.example
channels:
  email:
    kind: smtp
    message: email
    host: 127.0.0.1
    port: {smtp_port}
    from: "Acme <news@acme.example>"
    timeout: 2
  crm:
    kind: webhook
    url: {http_url}/api
    headers:
      Authorization: "Bearer ${{CRM_TOKEN}}"
  sms:
    kind: outbox
    message: sms
    path: out/sms.jsonl
"""


def test_a_workspace_yaml_becomes_working_channels(
    tmp_path: Path,
    clock: VirtualClock,
    smtp_server: SmtpTestServer,
    http_server: HttpTestServer,
    make_message: Callable[..., Message],
) -> None:
    (tmp_path / "workspace.yaml").write_text(
        WORKSPACE.format(smtp_port=smtp_server.port, http_url=http_server.url)
    )
    workspace, _ = load_workspace(tmp_path)
    env = {"CRM_TOKEN": "tok", "JOURNEY_SECRET": "s"}

    channels = build_workspace_channels(workspace, env=env, clock=clock)

    assert isinstance(channels["email"], SmtpChannel)
    assert isinstance(channels["crm"], WebhookChannel)
    assert isinstance(channels["sms"], OutboxChannel)
    assert channels["sms"].path == tmp_path / "out" / "sms.jsonl"

    token = make_unsubscribe_token(b"s", "c-1042", "onboarding-welcome")
    link = unsubscribe_url(channels["email"].settings.identity.unsubscribe_base_url or "", token)
    channels["email"].deliver(make_message(unsubscribe_url=link))
    channels["crm"].call_webhook(WebhookRequest(delivery_key="k", path="/hook", body={}))
    for channel in channels.values():
        channel.close()

    header = str(smtp_server.received[0].message["List-Unsubscribe"])
    assert header == "<https://mail.acme.example/v1/unsubscribe/" + token + ">"
    assert http_server.requests[0].path == "/api/hook"
    assert http_server.requests[0].header("Authorization") == "Bearer tok"


def test_a_missing_secret_stops_start_up_with_its_name(tmp_path: Path, clock: VirtualClock) -> None:
    (tmp_path / "workspace.yaml").write_text(
        WORKSPACE.format(smtp_port=25, http_url="http://127.0.0.1:9")
    )
    workspace, _ = load_workspace(tmp_path)

    with pytest.raises(JourneyError, match="CRM_TOKEN"):
        build_workspace_channels(workspace, env={"JOURNEY_SECRET": "s"}, clock=clock)


def test_the_default_workspace_has_outbox_channels(tmp_path: Path, clock: VirtualClock) -> None:
    workspace, _ = load_workspace(tmp_path)

    channels = build_workspace_channels(workspace, env={}, clock=clock)

    assert sorted(channels) == ["email", "push", "sms"]
    assert all(isinstance(c, OutboxChannel) for c in channels.values())


def test_a_step_with_its_own_url_needs_no_channel(
    http_server: HttpTestServer, clock: VirtualClock
) -> None:
    direct_webhook(clock=clock).call_webhook(
        WebhookRequest(delivery_key="k", url=f"{http_server.url}/x", body={"a": 1})
    )

    assert http_server.requests[0].json() == {"a": 1}
    assert http_server.requests[0].header("Idempotency-Key") == "k"

"""Webhook delivery against a real ThreadingHTTPServer on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from journey.channels import WebhookRequest, build_channel
from journey.channels.webhook import WebhookChannel
from journey.clock import VirtualClock
from journey.errors import DeliveryError
from journey.model import Channel, Message
from tests.support.http_server import HttpTestServer, Reply
from tests.support.smtp_server import free_port


def webhook_channel(
    base_url: str,
    clock: VirtualClock,
    *,
    env: dict[str, str] | None = None,
    message: Any = "webhook",
    **settings: Any,
) -> WebhookChannel:
    config = Channel(
        name="crm", kind="webhook", message=message, settings={"url": base_url, **settings}
    )
    channel = build_channel(config, root=Path("."), env=env or {}, clock=clock)
    assert isinstance(channel, WebhookChannel)
    return channel


def request(**overrides: Any) -> WebhookRequest:
    fields: dict[str, Any] = {
        "delivery_key": "enr-1:crm:0",
        "path": "/hooks/activated",
        "body": {"contact": "c-1042", "plan": "trial"},
        "journey_id": "onboarding-welcome",
        "step_id": "crm",
        "contact_id": "c-1042",
    }
    fields.update(overrides)
    return WebhookRequest(**fields)


def test_200_delivers_json_with_an_idempotency_key(
    http_server: HttpTestServer, clock: VirtualClock
) -> None:
    http_server.default = Reply(status=200, body=b'{"id": "crm-991"}')
    channel = webhook_channel(
        f"{http_server.url}/api/",
        clock,
        env={"CRM_TOKEN": "tok-abc"},
        headers={"Authorization": "Bearer ${CRM_TOKEN}"},
    )

    receipt = channel.call_webhook(request())

    [seen] = http_server.requests
    assert seen.method == "POST"
    assert seen.path == "/api/hooks/activated"
    assert seen.json() == {"contact": "c-1042", "plan": "trial"}
    assert seen.header("Idempotency-Key") == "enr-1:crm:0"
    assert seen.header("Authorization") == "Bearer tok-abc"
    assert seen.header("Content-Type") == "application/json; charset=utf-8"
    assert seen.header("X-Journey-Step") == "crm"
    assert receipt.message_id == "enr-1:crm:0"
    assert receipt.provider_id == "crm-991"
    assert receipt.accepted_at == clock.now()


def test_the_idempotency_key_cannot_be_overridden_by_step_headers(
    http_server: HttpTestServer, clock: VirtualClock
) -> None:
    channel = webhook_channel(http_server.url, clock)

    channel.call_webhook(request(headers={"Idempotency-Key": "forged"}))

    assert http_server.requests[0].header("Idempotency-Key") == "enr-1:crm:0"


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_retryable_statuses_are_transient(
    http_server: HttpTestServer, clock: VirtualClock, status: int
) -> None:
    http_server.reply_next(Reply(status=status, body=b"busy"))
    channel = webhook_channel(http_server.url, clock)

    with pytest.raises(DeliveryError, match=f"HTTP {status}: busy") as caught:
        channel.call_webhook(request())

    assert caught.value.permanent is False
    channel.call_webhook(request())  # and the retry goes through
    assert len(http_server.requests) == 2


@pytest.mark.parametrize(
    ("status", "retry_after", "delay"),
    [
        (429, "120", timedelta(seconds=120)),
        (503, "Sun, 29 Mar 2026 07:35:00 GMT", timedelta(minutes=5)),  # the clock says 07:30
        (503, "Sun, 29 Mar 2026 07:00:00 GMT", timedelta(0)),  # a date already past
        (429, "whenever", None),  # not understood: the policy's own backoff
        (500, "120", None),  # only 429 and 503 say when to come back
    ],
)
def test_a_busy_receiver_says_when_to_retry_with_retry_after(
    http_server: HttpTestServer,
    clock: VirtualClock,
    status: int,
    retry_after: str,
    delay: timedelta | None,
) -> None:
    http_server.reply_next(Reply(status=status, body=b"busy", headers={"Retry-After": retry_after}))
    channel = webhook_channel(http_server.url, clock)

    with pytest.raises(DeliveryError, match=f"HTTP {status}: busy") as caught:
        channel.call_webhook(request())

    assert caught.value.permanent is False
    assert caught.value.retry_after == delay
    if delay is not None:
        assert f"(Retry-After: {delay.total_seconds():g} s)" in str(caught.value)


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_client_errors_are_permanent(
    http_server: HttpTestServer, clock: VirtualClock, status: int
) -> None:
    http_server.default = Reply(status=status, body=b'{"error": "bad contact"}')
    channel = webhook_channel(http_server.url, clock)

    with pytest.raises(DeliveryError, match=f"HTTP {status}") as caught:
        channel.call_webhook(request())

    assert caught.value.permanent is True


def test_a_redirect_is_not_followed_and_is_permanent(
    http_server: HttpTestServer, clock: VirtualClock
) -> None:
    http_server.default = Reply(status=302, headers={"Location": "/elsewhere"})
    channel = webhook_channel(http_server.url, clock)

    with pytest.raises(DeliveryError, match="redirects are not followed") as caught:
        channel.call_webhook(request())

    assert caught.value.permanent is True
    assert [r.path for r in http_server.requests] == ["/hooks/activated"]


def test_a_slow_receiver_times_out_as_transient(
    http_server: HttpTestServer, clock: VirtualClock
) -> None:
    http_server.default = Reply(delay=3.0)
    channel = webhook_channel(http_server.url, clock, timeout=0.5)
    started = time.monotonic()

    with pytest.raises(DeliveryError, match="timed out") as caught:
        channel.call_webhook(request())

    assert caught.value.permanent is False
    assert 0.4 < time.monotonic() - started < 2.0


def test_connection_refused_is_transient(clock: VirtualClock) -> None:
    channel = webhook_channel(f"http://127.0.0.1:{free_port()}", clock, timeout=1)

    with pytest.raises(DeliveryError, match="unreachable") as caught:
        channel.call_webhook(request())

    assert caught.value.permanent is False


def test_a_huge_error_body_is_read_only_up_to_the_bound(
    http_server: HttpTestServer, clock: VirtualClock
) -> None:
    http_server.default = Reply(status=500, body=b"x" * 2_000_000)
    channel = webhook_channel(http_server.url, clock, max_response_bytes=1024)

    with pytest.raises(DeliveryError) as caught:
        channel.call_webhook(request())

    assert len(str(caught.value)) < 400


def test_a_step_url_replaces_the_channel_base(
    http_server: HttpTestServer, clock: VirtualClock
) -> None:
    channel = webhook_channel("http://127.0.0.1:9/unused", clock)

    channel.call_webhook(request(url=f"{http_server.url}/direct", path=None))

    assert http_server.requests[0].path == "/direct"
    with pytest.raises(DeliveryError, match="http or https") as caught:
        channel.call_webhook(request(url="file:///etc/passwd", path=None))
    assert caught.value.permanent is True


def test_a_message_channel_posts_the_message_as_json(
    http_server: HttpTestServer, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    channel = webhook_channel(f"{http_server.url}/sms/send", clock, message="sms")

    channel.deliver(
        make_message(message="sms", channel="sms", to="+46701234567", subject=None, html=None)
    )

    [seen] = http_server.requests
    assert seen.path == "/sms/send"
    assert seen.header("Idempotency-Key") == "enr-1:welcome:0"
    body = seen.json()
    assert body["to"] == "+46701234567"
    assert body["message"] == "sms"
    assert body["text"] == "Hej Astrid,\nvälkommen ombord."
    assert body["contact_id"] == "c-1042"

"""Deliver stage: channels that take rendered messages and webhook calls out of the process.

Entry point: :func:`build_channel` turns a workspace's channel configuration
into a live channel (outbox, smtp or webhook) behind the small contract in
:mod:`journey.channels.base`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from journey.channels.base import (
    ChannelImpl,
    DeliveryReceipt,
    WebhookRequest,
    classify_http_status,
    classify_smtp_code,
    classify_smtp_error,
    expand_env,
)
from journey.channels.outbox import OutboxChannel, build_outbox, read_outbox
from journey.channels.retry import RetryPolicy, backoff_delay, next_retry_at
from journey.channels.smtp import SmtpChannel, build_smtp
from journey.channels.webhook import WebhookChannel, build_webhook
from journey.clock import Clock, SystemClock
from journey.errors import JourneyError
from journey.model import Channel

__all__ = [
    "ChannelImpl",
    "DeliveryReceipt",
    "OutboxChannel",
    "RetryPolicy",
    "SmtpChannel",
    "WebhookChannel",
    "WebhookRequest",
    "backoff_delay",
    "build_channel",
    "classify_http_status",
    "classify_smtp_code",
    "classify_smtp_error",
    "next_retry_at",
    "read_outbox",
]

_SYSTEM_CLOCK = SystemClock()


def build_channel(
    config: Channel, *, root: Path, env: Mapping[str, str], clock: Clock = _SYSTEM_CLOCK
) -> ChannelImpl:
    """Expand ``${ENV}`` references and build the channel; misconfiguration is a JourneyError.

    Connections are opened lazily, on the first delivery, so building every
    channel of a workspace at start-up costs nothing and needs no network.
    """
    settings = expand_env(config.settings, env, channel=config.name)
    if config.kind == "outbox":
        return build_outbox(config.name, settings, root=root, clock=clock)
    if config.kind == "smtp":
        return build_smtp(config.name, config.message, settings, env=env, root=root, clock=clock)
    if config.kind == "webhook":
        return build_webhook(config.name, settings, clock=clock)
    raise JourneyError(f"channel '{config.name}': unknown kind {config.kind!r}")

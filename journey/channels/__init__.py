"""Deliver stage: channels that take rendered messages and webhook calls out of the process.

Entry point: :func:`build_channel` turns a workspace's channel configuration
into a live channel (outbox, smtp or webhook) behind the small contract in
:mod:`journey.channels.base`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
from journey.channels.settings import (
    SettingError,
    check_unsubscribe_base,
    setting_rate,
    setting_str,
)
from journey.channels.smtp import SmtpChannel, build_smtp
from journey.channels.webhook import WebhookChannel, build_webhook, direct_webhook
from journey.clock import Clock, SystemClock
from journey.errors import JourneyError
from journey.model import Channel
from journey.workspace import Workspace

__all__ = [
    "ChannelImpl",
    "DeliveryReceipt",
    "OutboxChannel",
    "RetryPolicy",
    "SettingError",
    "SmtpChannel",
    "WebhookChannel",
    "WebhookRequest",
    "backoff_delay",
    "build_channel",
    "build_workspace_channels",
    "check_channel",
    "classify_http_status",
    "classify_smtp_code",
    "classify_smtp_error",
    "direct_webhook",
    "next_retry_at",
    "read_outbox",
]

_SYSTEM_CLOCK = SystemClock()


def build_channel(
    config: Channel,
    *,
    root: Path,
    env: Mapping[str, str] | None,
    clock: Clock = _SYSTEM_CLOCK,
    unsubscribe_base_url: str | None = None,
    message_id_scope: str = "",
) -> ChannelImpl:
    """Expand ``${ENV}`` references and build the channel; misconfiguration is a JourneyError
    (a SettingError naming the setting). ``env=None`` is validation: see `check_channel`.

    Connections are opened lazily, on the first delivery, so building every
    channel of a workspace at start-up costs nothing and needs no network.
    ``unsubscribe_base_url`` is the workspace's default for email channels; a
    channel that really sends email (not the outbox) needs it, or its own, as https.
    """
    settings = expand_env(config.settings, env, channel=config.name)
    if config.kind == "outbox":
        return build_outbox(config.name, settings, root=root, clock=clock)
    base = effective_unsubscribe_base(config, settings, unsubscribe_base_url, env)
    channel: ChannelImpl
    if config.kind == "smtp":
        settings["unsubscribe_base_url"] = base
        channel = build_smtp(
            config.name,
            config.message,
            settings,
            env=env,
            root=root,
            clock=clock,
            message_id_scope=message_id_scope,
        )
    elif config.kind == "webhook":
        channel = build_webhook(config.name, settings, clock=clock)
    else:
        raise JourneyError(f"channel '{config.name}': unknown kind {config.kind!r}")
    if config.message == "email":  # its other settings first: they are the likelier slip
        check_unsubscribe_base(config.name, base)
    return channel


def effective_unsubscribe_base(
    config: Channel,
    settings: Mapping[str, Any],
    workspace_base: str | None,
    env: Mapping[str, str] | None,
) -> str | None:
    """The channel's own `unsubscribe_base_url` (SMTP), else the workspace's, expanded."""
    if config.kind == "smtp":
        own = setting_str(config.name, settings, "unsubscribe_base_url")
        if own is not None:
            return own
    if not workspace_base:
        return None
    expanded = expand_env({"unsubscribe_base_url": workspace_base}, env, channel=config.name)
    return str(expanded["unsubscribe_base_url"])


def check_channel(config: Channel, *, root: Path, unsubscribe_base_url: str | None = None) -> None:
    """Raise SettingError where `journey run` would refuse this channel's settings.

    The same builders and parsers run as at start-up, with every `${VAR}`
    reference unknown (taken as valid: its value is the environment's).
    """
    setting_rate(config.name, config.rate_limit)
    build_channel(config, root=root, env=None, unsubscribe_base_url=unsubscribe_base_url)


def build_workspace_channels(
    workspace: Workspace, *, env: Mapping[str, str], clock: Clock = _SYSTEM_CLOCK
) -> dict[str, ChannelImpl]:
    """Every channel of a workspace, by name; the first misconfigured one raises."""
    return {
        name: build_channel(
            config,
            root=workspace.root,
            env=env,
            clock=clock,
            unsubscribe_base_url=workspace.unsubscribe_base_url,
        )
        for name, config in workspace.channels.items()
    }

"""Building channels from workspace settings: ${ENV} expansion, typos, classification."""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import Any

import pytest

from journey.channels import (
    OutboxChannel,
    SmtpChannel,
    WebhookChannel,
    build_channel,
    classify_http_status,
    classify_smtp_code,
    classify_smtp_error,
)
from journey.channels.base import SettingError, expand_env
from journey.errors import JourneyError
from journey.model import Channel


def build(kind: Any, message: Any = "email", **settings: Any) -> Any:
    if kind == "smtp":
        settings.setdefault("unsubscribe_base_url", "https://mail.example")
    config = Channel(name="main", kind=kind, message=message, settings=settings)
    return build_channel(config, root=Path("/ws"), env={"SMTP_PASSWORD": "hunter2", "HOST": "mx"})


def test_each_kind_builds_its_channel_without_touching_the_network() -> None:
    assert isinstance(build("outbox"), OutboxChannel)
    assert isinstance(build("smtp", host="${HOST}", **{"from": "a@b.example"}), SmtpChannel)
    assert isinstance(build("webhook", "webhook", url="https://crm.example"), WebhookChannel)
    assert build("smtp", host="${HOST}", **{"from": "a@b.example"}).settings.host == "mx"


def test_a_missing_environment_variable_is_named_without_revealing_secrets() -> None:
    settings = {"password": "${SMTP_PASSWORD}", "headers": {"Authorization": "Bearer ${CRM_KEY}"}}

    with pytest.raises(JourneyError) as caught:
        expand_env(settings, {"SMTP_PASSWORD": "hunter2"}, channel="crm")

    message = str(caught.value)
    assert "CRM_KEY" in message
    assert "headers.Authorization" in message
    assert "crm" in message
    assert "hunter2" not in message


def test_expansion_reaches_nested_values_and_leaves_other_text_alone() -> None:
    expanded = expand_env(
        {
            "url": "https://${HOST}/x",
            "headers": {"A": "${TOKEN}"},
            "list": ["$NOT", "${HOST}"],
            "n": 3,
        },
        {"HOST": "h.example", "TOKEN": "t"},
        channel="c",
    )
    assert expanded == {
        "url": "https://h.example/x",
        "headers": {"A": "t"},
        "list": ["$NOT", "h.example"],
        "n": 3,
    }


def test_a_misspelt_setting_is_an_error_naming_it() -> None:
    with pytest.raises(JourneyError, match=r"unknown setting.*hots"):
        build("smtp", hots="mx", **{"from": "a@b.example"})


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({}, "'from' must be an email address"),
        ({"from": "a@b.example", "port": "smtp"}, "'port' must be a TCP port"),
        ({"from": "a@b.example", "ssl": True, "starttls": True}, "not both"),
        ({"from": "a@b.example", "password": "x"}, "'username' is not"),
        ({"from": "a@b.example", "timeout": -1}, "'timeout' must be positive"),
        ({"from": "a@b.example", "starttls": "maybe"}, "true or false"),
    ],
)
def test_bad_smtp_settings_are_reported(settings: dict[str, Any], complaint: str) -> None:
    with pytest.raises(JourneyError, match=complaint):
        build("smtp", **settings)


@pytest.mark.parametrize(
    ("base", "complaint"),
    [
        (None, "no unsubscribe_base_url"),
        ("http://127.0.0.1:8787", "not an https URL"),
        ("https://", "not an https URL"),
        ("https://bücher.example", "plain ASCII"),
    ],
)
def test_a_real_email_channel_needs_an_https_unsubscribe_base(
    base: str | None, complaint: str
) -> None:
    config = Channel(name="main", kind="smtp", settings={"from": "a@b.example"})
    with pytest.raises(SettingError, match=complaint) as caught:
        build_channel(config, root=Path("."), env={}, unsubscribe_base_url=base)
    assert caught.value.code == "unsubscribe-url-not-https"
    assert caught.value.key == "unsubscribe_base_url"


def test_the_channels_own_https_base_wins_over_the_workspaces_http_one() -> None:
    config = Channel(
        name="main",
        kind="smtp",
        settings={"from": "a@b.example", "unsubscribe_base_url": "https://u.example"},
    )
    channel = build_channel(
        config, root=Path("."), env={}, unsubscribe_base_url="http://127.0.0.1:8787"
    )
    assert channel.settings.identity.unsubscribe_base_url == "https://u.example"


def test_an_email_webhook_needs_the_workspace_https_base_and_the_outbox_none() -> None:
    hook = Channel(name="esp", kind="webhook", settings={"url": "https://esp.example"})
    with pytest.raises(SettingError, match="no unsubscribe_base_url"):
        build_channel(hook, root=Path("."), env={})
    build_channel(hook, root=Path("."), env={}, unsubscribe_base_url="https://u.example")
    outbox = Channel(name="out", kind="outbox", settings={})
    assert isinstance(build_channel(outbox, root=Path("/ws"), env={}), OutboxChannel)


def test_secrets_stay_out_of_reprs() -> None:
    channel = build("smtp", username="u", password="${SMTP_PASSWORD}", **{"from": "a@b.example"})
    webhook = build(
        "webhook", "webhook", url="https://x.example", headers={"Auth": "${SMTP_PASSWORD}"}
    )
    assert "hunter2" not in repr(channel.settings)
    assert "hunter2" not in repr(webhook.settings)


def test_a_webhook_url_must_be_http() -> None:
    with pytest.raises(JourneyError, match="http:// or https://"):
        build("webhook", "webhook", url="ftp://x.example")


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (250, "ok"),
        (421, "transient"),
        (451, "transient"),
        (452, "transient"),
        (550, "permanent"),
        (552, "permanent"),
        (554, "permanent"),
    ],
)
def test_smtp_codes(code: int, outcome: str) -> None:
    assert classify_smtp_code(code) == outcome


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "ok"),
        (204, "ok"),
        (301, "permanent"),
        (400, "permanent"),
        (404, "permanent"),
        (408, "transient"),
        (409, "permanent"),
        (429, "transient"),
        (500, "transient"),
        (503, "transient"),
    ],
)
def test_http_statuses(status: int, outcome: str) -> None:
    assert classify_http_status(status) == outcome


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPDataError(550, b"rejected"), True),
        (smtplib.SMTPDataError(451, b"later"), False),
        (smtplib.SMTPRecipientsRefused({"a@b": (550, b"no such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@b": (450, b"greylisted")}), False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
        (smtplib.SMTPConnectError(554, b"no service for you"), False),
        (smtplib.SMTPSenderRefused(550, b"sender not allowed", "a@b"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (TimeoutError("timed out"), False),
    ],
)
def test_smtp_errors(error: Exception, permanent: bool) -> None:
    assert classify_smtp_error(error).permanent is permanent

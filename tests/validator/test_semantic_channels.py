"""Channels exist and carry the right thing; secrets in channel settings are `${ENV_VAR}`."""

from __future__ import annotations

import pytest

from journey.loader import load_yaml_text
from journey.validator.semantic import check_workspace_doc
from tests.validator.semantic_support import bare_workspace, check, codes, only, with_steps


def test_an_unknown_channel_hint_lists_the_channels_there_are() -> None:
    problem = only(
        check(with_steps("  - id: s\n    send: { channel: emial, template: t/x }\n")),
        "unknown-channel",
    )
    assert problem.hint == "Did you mean `email`? Channels: `crm`, `email`, `push`, `sms`."


def test_a_send_needs_a_message_channel_and_a_webhook_a_webhook_channel() -> None:
    send_via_crm = with_steps("  - id: s\n    send: { channel: crm, template: t/x }\n")
    assert codes(check(send_via_crm)) == [("channel-message-mismatch", 7, 13)]
    webhook_via_sms = with_steps("  - id: h\n    webhook: { channel: sms, path: /x }\n")
    assert codes(check(webhook_via_sms)) == [("channel-message-mismatch", 7, 16)]
    webhook_via_crm = with_steps("  - id: h\n    webhook: { channel: crm, path: /x }\n")
    assert check(webhook_via_crm) == []


def test_without_a_channels_key_email_sms_and_push_exist() -> None:
    text = with_steps(
        "  - id: a\n    send: { channel: email, template: t/x }\n"
        "  - id: b\n    send: { channel: sms, template: t/y }\n"
        "  - id: c\n    send: { channel: push, template: t/z }\n"
    )
    assert check(text, bare_workspace()) == []
    crm = with_steps("  - id: h\n    webhook: { channel: crm }\n")
    assert [d.code for d in check(crm, bare_workspace())] == ["unknown-channel"]


def test_a_webhook_url_may_not_carry_a_password() -> None:
    text = with_steps("  - id: h\n    webhook: { url: 'https://bot:s3cret@example.com/hook' }\n")
    assert [d.code for d in check(text)] == ["literal-secret"]
    fine = with_steps("  - id: h\n    webhook: { url: 'https://example.com/hook?user=x' }\n")
    assert check(fine) == []


def workspace_problems(channel_yaml: str) -> list[tuple[str, int, int]]:
    doc = load_yaml_text("default_locale: en\nchannels:\n  crm:\n" + channel_yaml, "workspace.yaml")
    return codes(check_workspace_doc(doc))


@pytest.mark.parametrize(
    "settings",
    [
        "    password: hunter2\n",
        "    smtp_password: hunter2\n",
        "    api_key: 12345\n",
        "    settings: { token: abc }\n",
        "    headers:\n      Authorization: Bearer abc123\n",
        "    headers:\n      X-Api-Key: abc123\n",
        "    client_secret: '${CLIENT_ID}-and-more'\n",
        "    url: https://user:pa55@crm.example.com/\n",
    ],
)
def test_literal_secrets_in_channel_settings_are_refused(settings: str) -> None:
    problems = workspace_problems("    kind: webhook\n" + settings)
    assert [code for code, _, _ in problems] == ["literal-secret"]
    assert problems[0][1] == 5 + settings.count("\n") - 1


@pytest.mark.parametrize(
    "settings",
    [
        "    password: ${SMTP_PASSWORD}\n",
        "    headers:\n      Authorization: Bearer ${CRM_TOKEN}\n",
        "    api_key: '${CRM_API_KEY}'\n",
        "    username: marketing\n",
        "    token_env: CRM_TOKEN\n",
        "    starttls: true\n",
        "    url: https://${CRM_USER}:${CRM_PASSWORD}@crm.example.com/\n",
        "    password: ''\n",
    ],
)
def test_environment_references_and_harmless_settings_pass(settings: str) -> None:
    assert workspace_problems("    kind: webhook\n" + settings) == []


def test_the_workspace_file_is_checked_for_zones_durations_and_quiet_hours() -> None:
    doc = load_yaml_text(
        "default_timezone: Europe/Stokholm\nevent_retention: 400days\n"
        'quiet_hours: { start: "21:00", end: "21:00" }\nfrequency_cap: { max: 3, per: 1m }\n',
        "workspace.yaml",
    )
    found = check_workspace_doc(doc)
    assert sorted(codes(found)) == [
        ("invalid-duration", 2, 1),
        ("quiet-hours-empty", 3, 1),
        ("suspicious-duration", 4, 26),
        ("unknown-timezone", 1, 1),
    ]


def smtp_workspace(top: str = "", channel: str = "") -> list[tuple[str, int, int]]:
    text = (
        f"default_locale: en\n{top}channels:\n  email:\n    kind: smtp\n"
        f"    from: news@acme.example\n{channel}"
    )
    return codes(check_workspace_doc(load_yaml_text(text, "workspace.yaml")))


def test_a_real_email_channel_without_an_https_unsubscribe_base_is_located() -> None:
    assert smtp_workspace() == [("unsubscribe-url-not-https", 3, 3)]  # at the channel
    http = "unsubscribe_base_url: http://127.0.0.1:8787\n"
    assert smtp_workspace(top=http) == [("unsubscribe-url-not-https", 2, 1)]  # at the base
    own = "    unsubscribe_base_url: http://mail.acme.example\n"
    assert smtp_workspace(channel=own) == [("unsubscribe-url-not-https", 6, 5)]
    assert smtp_workspace(top="unsubscribe_base_url: https://acme.example/mail\n") == []
    assert smtp_workspace(channel="    unsubscribe_base_url: ${UNSUBSCRIBE_BASE}\n") == []

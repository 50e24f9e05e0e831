"""The MIME an email carries, built without a server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from journey.channels.mime import EmailIdentity, build_email, message_id_for
from journey.model import Message

NOW = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
IDENTITY = EmailIdentity(sender="Acme <news@acme.example>", reply_to="Help <help@acme.example>")


def test_message_id_is_a_valid_msg_id_whatever_the_key_contains() -> None:
    weird = message_id_for("enr 1/ä:<step>@0", "acme.example")
    assert weird == message_id_for("enr 1/ä:<step>@0", "acme.example")
    local = weird[1:].split("@")[0]
    assert local.isalnum() and local.isascii()


def test_a_configured_domain_overrides_the_senders(make_message: Callable[..., Message]) -> None:
    identity = EmailIdentity(sender="news@acme.example", message_id_domain="mail.acme.example")
    mail = build_email(make_message(), identity, now=NOW)
    assert str(mail["Message-ID"]).endswith("@mail.acme.example>")


def test_text_only_message_is_not_multipart(make_message: Callable[..., Message]) -> None:
    mail = build_email(make_message(html=None), IDENTITY, now=NOW)
    assert mail.get_content_type() == "text/plain"


def test_reply_to_and_mailto_fallback_use_the_reply_address(
    make_message: Callable[..., Message],
) -> None:
    mail = build_email(make_message(), IDENTITY, now=NOW)
    assert mail["Reply-To"] == "Help <help@acme.example>"
    assert mail["List-Unsubscribe"] == "<mailto:help@acme.example?subject=unsubscribe>"


def test_template_headers_cannot_replace_the_channels_own(
    make_message: Callable[..., Message],
) -> None:
    mail = build_email(
        make_message(headers={"From": "evil@x.example", "Bcc": "spy@x.example", "X-Tag": "a"}),
        IDENTITY,
        now=NOW,
    )
    assert mail.get_all("From") == ["Acme <news@acme.example>"]
    assert mail["Bcc"] is None
    assert mail["X-Tag"] == "a"


@pytest.mark.parametrize("field", ["to", "subject"])
def test_a_message_without_recipient_or_subject_cannot_be_built(
    field: str, make_message: Callable[..., Message]
) -> None:
    with pytest.raises(ValueError, match="no"):
        build_email(make_message(**{field: "" if field == "to" else None}), IDENTITY, now=NOW)

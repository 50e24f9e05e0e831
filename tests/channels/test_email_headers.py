"""The MIME an email carries, built without a server."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from journey.channels.mime import EmailIdentity, build_email, email_bytes, message_id_for
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


def wire(message: Message, identity: EmailIdentity = IDENTITY) -> bytes:
    return email_bytes(build_email(message, identity, now=NOW), utf8=False)


def parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_a_non_ascii_sender_name_is_encoded_and_reads_back(
    make_message: Callable[..., Message],
) -> None:
    identity = EmailIdentity(sender="Åsa på Acme <news@acme.example>")
    data = wire(make_message(headers={"X-Kampanj": "vår-rea"}), identity)

    assert data.isascii()
    parsed = parse(data)
    assert parsed["From"] == "Åsa på Acme <news@acme.example>"
    assert parsed["X-Kampanj"] == "vår-rea"


def test_no_wire_line_is_too_long_even_for_one_line_html(
    make_message: Callable[..., Message],
) -> None:
    html = "<table>" + "<tr><td>cell</td></tr>" * 500 + "</table>"  # 11,000 chars, one line
    data = wire(make_message(html=html))

    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    body = parse(data).get_body(("html",))
    assert body is not None and body.get_content() == html


def test_mime_version_appears_once(make_message: Callable[..., Message]) -> None:
    assert wire(make_message()).count(b"MIME-Version") == 1


def test_a_bad_template_header_name_is_refused(make_message: Callable[..., Message]) -> None:
    with pytest.raises(ValueError, match="header name"):
        build_email(make_message(headers={"X Bad": "v"}), IDENTITY, now=NOW)


def test_an_international_address_needs_smtputf8(make_message: Callable[..., Message]) -> None:
    data = email_bytes(build_email(make_message(to="åsa@exempel.se"), IDENTITY, now=NOW), utf8=True)

    assert "To: åsa@exempel.se".encode() in data


LINK = "https://mail.acme.example/v1/unsubscribe/YzEfd2VsY29tZQ.DRDHvU2dJOsoMUX7KKnw2F4_INukwgDO5e1FD8Id9Bg"
# Mostly ASCII (so quoted-printable), with lines well past 76 characters.
LONG_TEXT = ("Välkommen! " + "news " * 40 + "\n") * 3


def _body_lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n\r\n", 1)[1].split(b"\r\n")


@pytest.mark.parametrize("to", ["astrid@example.com", "åsa@exempel.se"], ids=["ascii", "smtputf8"])
def test_quoted_printable_lines_are_at_most_76_characters(
    to: str, make_message: Callable[..., Message]
) -> None:
    mail = build_email(make_message(to=to, text=LONG_TEXT, html=None), IDENTITY, now=NOW)
    data = email_bytes(mail, utf8=not to.isascii())
    assert b"quoted-printable" in data and b"=\r\n" in data
    assert max(len(line) for line in _body_lines(data)) <= 76  # RFC 2045 6.7


@pytest.mark.parametrize("to", ["astrid@example.com", "åsa@exempel.se"], ids=["ascii", "smtputf8"])
@pytest.mark.parametrize(
    ("sender", "wire"),
    [
        ("Acme, Inc. <news@acme.example>", b'From: "Acme, Inc." <news@acme.example>'),
        ('"Acme (Sweden)" <news@acme.example>', b'From: "Acme (Sweden)" <news@acme.example>'),
        ("news@acme.example", b"From: news@acme.example"),
    ],
)
def test_display_names_with_specials_are_quoted(
    to: str, sender: str, wire: bytes, make_message: Callable[..., Message]
) -> None:
    mail = build_email(make_message(to=to), EmailIdentity(sender=sender), now=NOW)
    data = email_bytes(mail, utf8=not to.isascii())
    assert wire + b"\r\n" in data
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["From"].addresses[0].addr_spec == "news@acme.example"


def test_list_unsubscribe_goes_out_as_plain_ascii_for_an_smtputf8_recipient(
    make_message: Callable[..., Message],
) -> None:
    identity = EmailIdentity(sender="Åsa <news@acme.example>", unsubscribe_mailto="u@acme.example")
    mail = build_email(make_message(to="åsa@exempel.se", unsubscribe_url=LINK), identity, now=NOW)
    data = email_bytes(mail, utf8=True)
    token = LINK.rsplit("/", 1)[1]
    expected = (
        f"List-Unsubscribe: <{LINK}>,\r\n <mailto:u@acme.example?subject=unsubscribe%20{token}>"
    )
    assert expected.encode() in data  # never =?utf-8?q?...?=
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in data


def test_message_ids_of_one_key_differ_between_stores_and_repeat_within_one() -> None:
    one = message_id_for("enr-1:welcome:0", "acme.example", "3f2a9c0d1e4b5a6c")
    assert one == message_id_for("enr-1:welcome:0", "acme.example", "3f2a9c0d1e4b5a6c")
    assert one != message_id_for("enr-1:welcome:0", "acme.example", "77219de66007d025")

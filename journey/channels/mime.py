"""Turn a rendered email :class:`~journey.model.Message` into RFC 5322 bytes.

Kept apart from the SMTP connection so the exact headers every email carries
(deterministic Message-ID, List-Unsubscribe with RFC 8058 one-click) can be
tested without a server, and reused by any future email-over-HTTP provider.
"""

from __future__ import annotations

import email.charset
import email.message
import email.policy
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import quote

from journey.channels.checks import header_problem, message_problem
from journey.model import Message
from journey.unsubscribe import make_unsubscribe_token, unsubscribe_url

# 7bit bodies (quoted-printable/base64) pass every relay, 8BITMIME or not.
POLICY = email.policy.SMTP.clone(cte_type="7bit")
UTF8_POLICY = POLICY.clone(utf8=True)
LEGACY_POLICY = email.policy.compat32.clone(linesep="\r\n")
# Quoted-printable bodies: readable for mostly-ASCII text, 7-bit, lines kept short.
_UTF8_QP = email.charset.Charset("utf-8")
_UTF8_QP.body_encoding = email.charset.QP
EmailLike = email.message.Message  # EmailMessage for SMTPUTF8, compat32 Message otherwise
DELIVERY_KEY_HEADER = "X-Journey-Delivery-Key"
# Headers the channel owns; a template's header of the same name is ignored.
_OWN_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "reply-to",
        DELIVERY_KEY_HEADER.lower(),
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailIdentity:
    """Who sends, and how unsubscribe links are made when the message has none."""

    sender: str  # the From header, e.g. "Acme <news@acme.example>"
    reply_to: str | None = None
    message_id_domain: str = ""
    unsubscribe_base_url: str | None = None
    unsubscribe_mailto: str | None = None
    unsubscribe_secret: bytes | None = field(default=None, repr=False)

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]

    @property
    def domain(self) -> str:
        if self.message_id_domain:
            return self.message_id_domain
        return self.sender_address.rpartition("@")[2] or "journey.invalid"


def message_id_for(delivery_key: str, domain: str) -> str:
    """``<hash@domain>``: the same key always yields the same id, whatever it contains."""
    digest = hashlib.sha256(b"journey-message-id\x00" + delivery_key.encode("utf-8")).hexdigest()
    return f"<{digest[:32]}@{domain}>"


def build_email(message: Message, identity: EmailIdentity, *, now: datetime) -> EmailLike:
    """Raise ValueError for a message that can never be sent (no subject, header injection).

    ASCII addresses (nearly all) take the legacy ``compat32`` builder, about five
    times faster than ``EmailMessage`` with the same wire result; internationalised
    addresses need ``EmailMessage`` and SMTPUTF8.
    """
    if not message.to:
        raise ValueError("email message has no recipient address")
    if message.subject is None:
        raise ValueError("email message has no subject")
    problem = message_problem(message)  # text and address rules of every channel
    if problem:
        raise ValueError(problem)
    headers = _headers(message, identity, now=now)
    if message.to.isascii() and identity.sender_address.isascii():
        return _legacy_email(message, headers)
    return _modern_email(message, headers)


def _headers(message: Message, identity: EmailIdentity, *, now: datetime) -> list[tuple[str, str]]:
    headers = [
        ("From", identity.sender),
        ("To", message.to),
        ("Subject", message.subject or ""),
        ("Date", format_datetime(now)),
        ("Message-ID", message_id_for(message.delivery_key, identity.domain)),
    ]
    if identity.reply_to:
        headers.append(("Reply-To", identity.reply_to))
    headers.append((DELIVERY_KEY_HEADER, message.delivery_key))
    for name, value in message.headers.items():
        if name.lower() not in _OWN_HEADERS and not name.lower().startswith("list-unsubscribe"):
            headers.append((name, value))
    headers.extend(list_unsubscribe_headers(message, identity).items())
    for name, value in headers:
        problem = header_problem(name, value)
        if problem:
            raise ValueError(problem)
    return headers


def _legacy_email(message: Message, headers: list[tuple[str, str]]) -> email.message.Message:
    mail: email.message.Message
    text = _text_part(message.text, "plain")
    if message.html is None:
        mail = text
    else:
        mail = MIMEMultipart("alternative")
        for part in (text, _text_part(message.html, "html")):
            del part["MIME-Version"]  # belongs to the top level only
            mail.attach(part)
    for name, value in headers:
        if name in ("From", "Reply-To"):
            mail[name] = _encoded_address(value)
        elif value.isascii():
            mail[name] = value
        else:
            mail[name] = Header(value, "utf-8", header_name=name)  # type: ignore[assignment]
    return mail


def _text_part(body: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part.set_payload(body, _UTF8_QP)
    return part


def _modern_email(message: Message, headers: list[tuple[str, str]]) -> EmailMessage:
    mail = EmailMessage(policy=POLICY)
    for name, value in headers:
        mail[name] = value
    mail.set_content(message.text)
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
    return mail


def _encoded_address(value: str) -> str:
    if value.isascii():
        return value
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8")


def list_unsubscribe_headers(message: Message, identity: EmailIdentity) -> dict[str, str]:
    """Every email gets List-Unsubscribe; one-click (RFC 8058) whenever there is an https URL.

    Precedence: the message's own header (the daemon or template set it), then a
    signed link from the channel's ``unsubscribe_base_url``, then a mailto to
    ``unsubscribe_mailto``, Reply-To or From.
    """
    given = {k.lower(): v for k, v in message.headers.items()}
    value = given.get("list-unsubscribe")
    if value is None:
        value = ", ".join(f"<{uri}>" for uri in _unsubscribe_uris(message, identity))
    headers = {"List-Unsubscribe": value}
    post = given.get("list-unsubscribe-post")
    if post is None and "<https://" in value:
        post = "List-Unsubscribe=One-Click"
    if post is not None:
        headers["List-Unsubscribe-Post"] = post
    return headers


def _unsubscribe_uris(message: Message, identity: EmailIdentity) -> list[str]:
    token = None
    if identity.unsubscribe_secret and message.contact_id:
        token = make_unsubscribe_token(
            identity.unsubscribe_secret, message.contact_id, message.journey_id
        )
    uris = []
    if identity.unsubscribe_base_url and token:
        uris.append(unsubscribe_url(identity.unsubscribe_base_url, token))
    mailbox = identity.unsubscribe_mailto or parseaddr(identity.reply_to or "")[1]
    mailbox = mailbox or identity.sender_address
    subject = f"unsubscribe {token}" if token else "unsubscribe"
    uris.append(f"mailto:{mailbox}?subject={quote(subject)}")
    return uris


def email_bytes(mail: EmailLike, *, utf8: bool) -> bytes:
    """The wire form; ``utf8`` only when the server agreed to SMTPUTF8."""
    if isinstance(mail, EmailMessage):
        return mail.as_bytes(policy=UTF8_POLICY if utf8 else POLICY)
    return mail.as_bytes(policy=LEGACY_POLICY)

"""The deliver stage's contract: what every channel accepts, returns and raises.

The daemon hands a rendered :class:`~journey.model.Message` (or a webhook
step's :class:`WebhookRequest`) to a channel and gets a :class:`DeliveryReceipt`
back, or a :class:`~journey.errors.DeliveryError` whose ``permanent`` flag
decides between retry and dead-letter. The classifiers here are pure so the
retry policy can be tested without a server.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from journey.channels.settings import (  # the configuration parsers, re-exported
    Deferred,
    SettingError,
    check_known_settings,
    expand_env,
    setting_bool,
    setting_number,
    setting_port,
    setting_str,
)
from journey.errors import DeliveryError
from journey.model import Message

__all__ = [
    "ChannelImpl",
    "Deferred",
    "DeliveryReceipt",
    "Outcome",
    "SettingError",
    "WebhookRequest",
    "check_known_settings",
    "classify_http_status",
    "classify_smtp_code",
    "classify_smtp_error",
    "expand_env",
    "setting_bool",
    "setting_number",
    "setting_port",
    "setting_str",
]

Outcome = Literal["ok", "transient", "permanent"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryReceipt:
    """Proof that the far side accepted a delivery.

    ``message_id`` is what the recipient system sees and can deduplicate on
    (the email Message-ID, the webhook Idempotency-Key); ``provider_id`` is
    whatever the provider answered with (an SMTP queue line, a JSON ``id``).
    """

    message_id: str
    accepted_at: datetime
    provider_id: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookRequest:
    """One call of a webhook step, its body already rendered.

    ``url`` replaces the channel's base URL (steps with ``url:``); otherwise
    ``path`` is joined to it.
    """

    delivery_key: str
    body: Any = None
    url: str | None = None
    path: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    journey_id: str = ""
    step_id: str = ""
    contact_id: str = ""


class ChannelImpl(Protocol):
    """A configured channel. Implementations: outbox, smtp, webhook.

    Calls may come from several worker threads; implementations serialise what
    must be serialised (a shared SMTP connection, a file offset).
    """

    @property
    def name(self) -> str: ...

    def deliver(self, message: Message) -> DeliveryReceipt: ...

    def call_webhook(self, request: WebhookRequest) -> DeliveryReceipt: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- classification


def classify_smtp_code(code: int) -> Outcome:
    """RFC 5321: 2xx accepted, 4xx try again later, 5xx never."""
    if 200 <= code < 300:
        return "ok"
    if 500 <= code < 600:
        return "permanent"
    return "transient"


def classify_smtp_error(exc: BaseException) -> DeliveryError:
    """Turn what smtplib or the socket raised into a retry decision.

    Only a refusal of *this message* (its recipient, its content) is permanent.
    Trouble with the connection, greeting, TLS, login or envelope sender is
    the channel's fault and the same for every message: it stays transient so
    that fixing the configuration delivers the backlog instead of
    dead-lettering it.
    """
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(f"SMTP authentication failed ({exc.smtp_code})", permanent=False)
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
        return DeliveryError(
            f"SMTP server refused the session: {exc.smtp_code} {_text(exc.smtp_error)}",
            permanent=False,
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return DeliveryError(
            f"SMTP server refused the sender {exc.sender}: {exc.smtp_code} {_text(exc.smtp_error)}",
            permanent=False,
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = bool(codes) and all(classify_smtp_code(c) == "permanent" for c in codes)
        answers = "; ".join(f"{code} {_text(reply)}" for code, reply in exc.recipients.values())
        return DeliveryError(f"SMTP recipient refused: {answers}", permanent=permanent)
    if isinstance(exc, smtplib.SMTPResponseException):
        outcome = classify_smtp_code(exc.smtp_code)
        return DeliveryError(
            f"SMTP server answered {exc.smtp_code} {_text(exc.smtp_error)}",
            permanent=outcome == "permanent",
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"SMTP server lacks a required extension: {exc}", permanent=False)
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return DeliveryError(f"SMTP TLS failed: {exc}", permanent=False)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"SMTP server disconnected: {exc}", permanent=False)
    if isinstance(exc, TimeoutError):
        return DeliveryError("SMTP server timed out", permanent=False)
    if isinstance(exc, OSError):
        return DeliveryError(f"SMTP server unreachable: {exc.strerror or exc}", permanent=False)
    return DeliveryError(f"SMTP failed: {exc}", permanent=False)


def classify_http_status(status: int) -> Outcome:
    """2xx ok; 408, 429 and 5xx may pass later; any other answer will not."""
    if 200 <= status < 300:
        return "ok"
    if status in (408, 429) or 500 <= status < 600:
        return "transient"
    return "permanent"


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return str(reply)

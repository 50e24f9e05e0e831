"""Real email delivery over SMTP, one reused connection per channel.

The connection is opened lazily, kept across sends and reopened when the server
has dropped it. A stale connection is only retried when it fails on ``MAIL
FROM`` — before that point the server cannot have accepted anything, so the
retry cannot cause a duplicate. Each message is one exchange under a total
``deadline`` (connect, TLS, every command, DATA and its answer); an answer lost
after the final ``.`` raises :class:`~journey.errors.UnknownOutcome`.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journey.channels.base import (
    Deferred,
    DeliveryReceipt,
    SettingError,
    WebhookRequest,
    check_known_settings,
    classify_smtp_error,
    setting_bool,
    setting_number,
    setting_port,
    setting_str,
)
from journey.channels.exchange import DEFAULT_DEADLINE_SECONDS, Exchange, Exchanges
from journey.channels.mime import EmailIdentity, EmailLike, build_email, email_bytes
from journey.channels.smtp_session import DeadlineSMTP
from journey.clock import Clock, SystemClock
from journey.errors import DeliveryError, UnknownOutcome
from journey.model import Message

log = logging.getLogger(__name__)

KNOWN_SETTINGS = {
    "host",
    "port",
    "starttls",
    "ssl",
    "username",
    "password",
    "from",
    "reply_to",
    "timeout",
    "deadline",
    "unsubscribe_base_url",
    "unsubscribe_mailto",
    "message_id_domain",
    "ca_file",
    "tls_verify",
}

_SYSTEM_CLOCK = SystemClock()
_QUIT_SECONDS = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpSettings:
    host: str
    port: int
    identity: EmailIdentity
    starttls: bool = False
    use_ssl: bool = False  # implicit TLS (port 465)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0  # each command's answer
    deadline: float = DEFAULT_DEADLINE_SECONDS  # one message's whole exchange
    ca_file: str | None = None
    tls_verify: bool = True

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file)
        if not self.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


class SmtpChannel:
    """Sends email messages; thread-safe (one send at a time on the shared connection)."""

    def __init__(self, *, name: str, settings: SmtpSettings, clock: Clock = _SYSTEM_CLOCK) -> None:
        self._name = name
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: DeadlineSMTP | None = None
        self._exchanges = Exchanges()

    @property
    def name(self) -> str:
        return self._name

    def deliver(self, message: Message) -> DeliveryReceipt:
        if message.message != "email":
            raise DeliveryError(
                f"channel '{self._name}' is SMTP and carries email, not {message.message}",
                permanent=True,
            )
        now = self._clock.now()
        try:
            mail = build_email(message, self.settings.identity, now=now)
        except ValueError as exc:
            raise DeliveryError(f"cannot build email: {exc}", permanent=True) from exc
        sender = self.settings.identity.sender_address
        with self._lock:
            reply = self._send(mail, sender, message.to)
        return DeliveryReceipt(
            message_id=str(mail["Message-ID"]), accepted_at=now, provider_id=reply, detail=reply
        )

    def call_webhook(self, request: WebhookRequest) -> DeliveryReceipt:
        raise DeliveryError(
            f"channel '{self._name}' is SMTP; a webhook step needs a webhook channel",
            permanent=True,
        )

    def close(self) -> None:
        with self._lock:
            self._drop(polite=True)

    def abort(self) -> None:
        """The daemon is stopping: cut the exchange in flight, refuse new ones (thread-safe)."""
        self._exchanges.abort_all()

    # ------------------------------------------------------------------ internals

    def _send(self, mail: EmailLike, sender: str, recipient: str) -> str:
        s = self.settings
        with self._exchanges.begin(s.deadline, step_timeout=s.timeout) as exchange:
            try:
                reused = self._conn is not None
                conn = self._connection(exchange)
                utf8 = not (sender.isascii() and recipient.isascii())
                if utf8 and not conn.has_extn("smtputf8"):
                    raise DeliveryError(
                        "address is not ASCII and the server does not support SMTPUTF8",
                        permanent=True,
                    )
                options = ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else []
                data = email_bytes(mail, utf8=utf8)
                return self._transmit(exchange, conn, sender, recipient, data, options, reused)
            except Exception as exc:
                error = _outcome(exc, exchange)
                self._recover(exc)
                raise error from exc

    def _transmit(
        self,
        exchange: Exchange,
        conn: DeadlineSMTP,
        sender: str,
        recipient: str,
        data: bytes,
        options: list[str],
        reused: bool,
    ) -> str:
        try:
            code, reply = conn.mail(sender, options)
        except smtplib.SMTPServerDisconnected:
            if not reused:
                raise
            log.info("SMTP channel %s: connection went stale, reconnecting", self._name)
            self._drop(polite=False)
            conn = self._connection(exchange)
            code, reply = conn.mail(sender, options)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = conn.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        code, reply = conn.data(data)
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
        return f"{code} {reply.decode('utf-8', 'replace')}"

    def _recover(self, exc: BaseException) -> None:
        """Keep a healthy connection after a refusal; drop it after anything else."""
        if (
            self._conn is not None
            and isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused)
            and getattr(exc, "smtp_code", 0) != 421
        ):
            try:
                self._conn.rset()
                return
            except (smtplib.SMTPException, OSError):
                pass
        self._drop(polite=False)

    def _connection(self, exchange: Exchange) -> DeadlineSMTP:
        if self._conn is not None:
            self._conn.adopt(exchange)
            return self._conn
        try:
            self._conn = self._connect(exchange)
        except Exception as exc:
            # Connect, greeting, STARTTLS, AUTH: nothing about any message yet.
            error = _outcome(exc, exchange)
            if error.permanent:
                error = DeliveryError(str(error), permanent=False)
            raise error from exc
        return self._conn

    def _connect(self, exchange: Exchange) -> DeadlineSMTP:
        s = self.settings
        tls = s.tls_context() if s.use_ssl else None
        conn = DeadlineSMTP(s.host, s.port, exchange=exchange, implicit_tls=tls)
        try:
            conn.ehlo()
            if s.starttls:
                # Never fall back to plain text: starttls raises if the server lacks it.
                conn.starttls(context=s.tls_context())
                conn.ehlo()
            if s.username:
                conn.login(s.username, s.password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def _drop(self, *, polite: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if polite:  # a QUIT gets a few seconds, and none once the daemon is stopping
                with self._exchanges.begin(_QUIT_SECONDS, step_timeout=_QUIT_SECONDS) as exchange:
                    conn.adopt(exchange)
                    conn.quit()
        except (smtplib.SMTPException, OSError, DeliveryError):
            pass
        finally:
            conn.close()


def _outcome(exc: BaseException, exchange: Exchange) -> DeliveryError:
    """What a failed exchange means: unknown after the final dot, else aborted, else the error.

    Once the exchange was aborted, what smtplib parsed from the cut stream is no answer.
    """
    answered = exchange.aborted is None and isinstance(
        exc, smtplib.SMTPResponseException | DeliveryError
    )
    if exchange.handed_over and not answered:
        why = "deadline passed" if exchange.aborted == "deadline" else classify_smtp_error(exc)
        if exchange.aborted == "stopping":
            why = "the daemon is stopping"
        return UnknownOutcome(
            f"SMTP server had the whole message but its answer never came ({why}); outcome unknown"
        )
    if exchange.aborted is not None:
        return exchange.failure("SMTP")
    return classify_smtp_error(exc)


def build_smtp(
    name: str,
    message_kind: str,
    settings: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None,
    root: Path,
    clock: Clock = _SYSTEM_CLOCK,
    message_id_scope: str = "",
) -> SmtpChannel:
    """Check and convert already-expanded settings; mistakes are SettingErrors.
    ``message_id_scope`` is the store's random id (see mime.message_id_for)."""
    if message_kind != "email":
        raise SettingError(name, "message", f"SMTP carries email, not {message_kind}")
    check_known_settings(name, "smtp", settings, KNOWN_SETTINGS)
    use_ssl = setting_bool(name, settings, "ssl", False)
    starttls = setting_bool(name, settings, "starttls", False)
    if use_ssl and starttls:
        raise SettingError(name, "starttls", "choose either ssl (port 465) or starttls, not both")
    host = setting_str(name, settings, "host") or "localhost"
    port = setting_port(name, settings, "port", 465 if use_ssl else 587 if starttls else 25)
    sender = setting_str(name, settings, "from")
    if not sender or ("@" not in sender and not isinstance(sender, Deferred)):
        raise SettingError(name, "from", "setting 'from' must be an email address")
    username = setting_str(name, settings, "username")
    if settings.get("password") is not None and not username:
        raise SettingError(name, "password", "'password' is set but 'username' is not")
    base_url = setting_str(name, settings, "unsubscribe_base_url")
    ca_file = setting_str(name, settings, "ca_file")
    identity = EmailIdentity(
        sender=sender,
        reply_to=setting_str(name, settings, "reply_to"),
        message_id_domain=setting_str(name, settings, "message_id_domain") or "",
        unsubscribe_base_url=base_url,
        unsubscribe_mailto=setting_str(name, settings, "unsubscribe_mailto"),
        message_id_scope=message_id_scope,
    )
    return SmtpChannel(
        name=name,
        settings=SmtpSettings(
            host=host,
            port=port,
            identity=identity,
            starttls=starttls,
            use_ssl=use_ssl,
            username=username,
            password=setting_str(name, settings, "password"),
            timeout=setting_number(name, settings, "timeout", 10.0),
            deadline=setting_number(name, settings, "deadline", DEFAULT_DEADLINE_SECONDS),
            ca_file=str(root / ca_file) if ca_file else None,
            tls_verify=setting_bool(name, settings, "tls_verify", True),
        ),
        clock=clock,
    )

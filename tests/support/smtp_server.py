"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it accepts.

Reusable by the channel tests and the daemon's crash and outage tests: it can
be told to answer 451 or 550, be stopped (an outage) and restarted on the same
port, and offers STARTTLS, implicit TLS and AUTH on request.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    peer: tuple[str, int]  # the client's address: the same port means the same connection
    mail_options: tuple[str, ...] = ()  # e.g. SMTPUTF8, BODY=8BITMIME

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class RecordingHandler:
    """aiosmtpd handler: records accepted mail, or answers a scripted failure."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[ReceivedMail] = []
        self.refused: list[ReceivedMail] = []  # whole messages answered with a failure
        self.failures: list[str] = []  # replies for the next DATA commands, in order
        self.always: str | None = None  # a reply for every DATA command
        self.refuse: dict[str, str] = {}  # "MAIL" or "RCPT" -> reply, for every such command

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        with self.lock:
            if "MAIL" in self.refuse:
                return self.refuse["MAIL"]
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        with self.lock:
            if "RCPT" in self.refuse:
                return self.refuse["RCPT"]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = ReceivedMail(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content),
            peer=tuple(session.peer[:2]),
            mail_options=tuple(envelope.mail_options),
        )
        with self.lock:
            if self.failures:
                self.refused.append(mail)
                return self.failures.pop(0)
            if self.always is not None:
                self.refused.append(mail)
                return self.always
            self.received.append(mail)
        return "250 2.0.0 Ok: queued"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpTestServer:
    """Start with :meth:`start`; ``host``/``port`` stay the same across stop/start."""

    def __init__(
        self,
        *,
        port: int | None = None,
        starttls_context: ssl.SSLContext | None = None,
        implicit_tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
        auth_require_tls: bool = True,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self.logins: list[str] = []
        self._credentials = credentials
        self._kwargs: dict[str, Any] = {"auth_require_tls": auth_require_tls}
        if starttls_context is not None:
            self._kwargs.update(tls_context=starttls_context, require_starttls=True)
        if implicit_tls_context is not None:
            self._kwargs["ssl_context"] = implicit_tls_context
        if credentials is not None:
            self._kwargs.update(authenticator=self._authenticate, auth_required=True)
        self._controller: Controller | None = None

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(
                self.handler, hostname=self.host, port=self.port, ready_timeout=5, **self._kwargs
            )
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        """An outage: the port refuses connections until :meth:`start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def fail_next(self, reply: str, times: int = 1) -> None:
        """Answer the next ``times`` messages with e.g. ``"451 4.3.0 try later"``."""
        with self.handler.lock:
            self.handler.failures.extend([reply] * times)

    def refuse(self, command: str, reply: str | None) -> None:
        """Answer every MAIL or RCPT command with ``reply`` (None: accept again)."""
        with self.handler.lock:
            if reply is None:
                self.handler.refuse.pop(command, None)
            else:
                self.handler.refuse[command] = reply

    def fail_always(self, reply: str | None) -> None:
        with self.handler.lock:
            self.handler.always = reply

    # ------------------------------------------------------------------ results

    @property
    def received(self) -> list[ReceivedMail]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def answered_with_failure(self) -> list[ReceivedMail]:
        """Whole messages the server had and answered with a scripted failure."""
        with self.handler.lock:
            return list(self.handler.refused)

    def message_ids(self) -> list[str]:
        return [mail.message_id for mail in self.received]

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self._credentials is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self._credentials
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)


@contextmanager
def running_smtp_server(**kwargs: Any) -> Iterator[SmtpTestServer]:
    server = SmtpTestServer(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()

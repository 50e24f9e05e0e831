"""smtplib driven under an :class:`~journey.channels.exchange.Exchange`'s total deadline.

Every command written and every reply read first sets the socket's timeout to
what remains of the exchange's deadline; a duplicate of the connection's file
descriptor lets the exchange's watchdog shut the connection down at the
deadline (or when the daemon stops) whatever the socket object is by then,
also in the middle of a TLS handshake. The session also notes when the final
``.`` of DATA has gone out: from then on a lost answer means "outcome unknown".
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from typing import Any

from journey.channels.exchange import Exchange

_END_OF_DATA = b"\r\n.\r\n"


class DeadlineSMTP(smtplib.SMTP):
    """One SMTP connection; `exchange` is replaced for each message sent on it."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        exchange: Exchange,
        implicit_tls: ssl.SSLContext | None = None,
    ) -> None:
        self.exchange = exchange
        self.handle: socket.socket | None = None  # a dup of the fd, for the watchdog only
        self._implicit_tls = implicit_tls
        exchange.watch(self.watched)
        super().__init__(host, port, timeout=exchange.step())

    def adopt(self, exchange: Exchange) -> None:
        """Carry the next message's exchange (a reused connection)."""
        self.exchange = exchange
        exchange.watch(self.watched)

    def watched(self) -> socket.socket | None:
        return self.handle

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.create_connection((host, port), self.exchange.step(), self.source_address)
        self.handle = sock.dup()
        if self._implicit_tls is not None:  # what smtplib.SMTP_SSL does, here
            sock = self._implicit_tls.wrap_socket(sock, server_hostname=host)
        return sock

    def send(self, s: Any) -> None:
        self.exchange.step(self.sock)
        super().send(s)
        if isinstance(s, bytes) and s.endswith(_END_OF_DATA):
            self.exchange.handed_over = True

    def getreply(self) -> tuple[int, bytes]:
        if self.sock is not None:
            self.exchange.step(self.sock)
        return super().getreply()

    def close(self) -> None:
        try:
            super().close()
        finally:
            handle, self.handle = self.handle, None
            if handle is not None:
                handle.close()

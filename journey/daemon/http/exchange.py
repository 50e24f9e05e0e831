"""One request and its answer on a worker thread, through h11: body framing, deadlines, the reply.

h11 decides where the body ends (Content-Length or chunked, RFC 9112) and
refuses malformed framing; this module only moves bytes between the socket
and h11 under a deadline, and bounds the body's size as it arrives.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from http import HTTPStatus

import h11

from journey.daemon.http.limits import MIN_BODY_RATE
from journey.daemon.http.loop import Connection
from journey.daemon.http.routes import HttpError
from journey.daemon.http.wire import header_map


class ClientGone(Exception):
    """The body stopped arriving (too slow, reset): the connection closes unanswered."""


class Exchange:
    def __init__(self, conn: Connection, request: h11.Request, *, timeout: float) -> None:
        self.conn = conn
        self.method = request.method.decode("ascii")
        self.target = request.target.decode("ascii", "replace")
        self.headers = header_map(request)
        self.timeout = timeout
        self.body_read = False
        self.close_after = False
        conn.sock.setblocking(True)
        conn.sock.settimeout(timeout)

    @property
    def protocol(self) -> h11.Connection:
        return self.conn.protocol

    def declared_length(self, limit: int) -> int | None:
        """The body's Content-Length, None when chunked; HttpError when missing or over `limit`."""
        if "transfer-encoding" in self.headers:
            return None
        raw = self.headers.get("content-length")
        if raw is None:
            raise HttpError(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
        length = int(raw.split(",")[0])  # h11 accepted it: decimal digits, repeats equal
        if length > limit:
            raise HttpError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                {"error": f"body of {length} bytes is over the limit", "max_bytes": limit},
            )
        return length

    def read_body(self, limit: int) -> bytes:
        """The body, at most `limit` bytes, within the timeout plus its size at MIN_BODY_RATE."""
        length = self.declared_length(limit)
        deadline = (
            time.monotonic()
            + self.timeout
            + (limit if length is None else length) / (MIN_BODY_RATE)
        )
        if self.protocol.they_are_waiting_for_100_continue:
            self._write(self.protocol.send(h11.InformationalResponse(status_code=100, headers=[])))
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                event = self.protocol.next_event()
            except h11.RemoteProtocolError as exc:
                self.close_after = True
                raise HttpError(HTTPStatus.BAD_REQUEST, f"bad request body: {exc}") from None
            if event is h11.NEED_DATA:
                self.protocol.receive_data(self._recv(deadline))
            elif isinstance(event, h11.Data):
                size += len(event.data)
                if size > limit:
                    raise HttpError(
                        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        {"error": f"body over {limit} bytes", "max_bytes": limit},
                    )
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                self.body_read = True
                return b"".join(chunks)
            else:  # ConnectionClosed mid-body
                raise ClientGone("the client closed before the body ended")

    def _recv(self, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ClientGone("the body did not arrive in time")
        self.conn.sock.settimeout(min(self.timeout, remaining))
        try:
            return self.conn.sock.recv(65536)
        except OSError as exc:  # TimeoutError included: no one left to answer
            raise ClientGone(str(exc)) from exc
        finally:
            self.conn.sock.settimeout(self.timeout)

    def respond(
        self, status: HTTPStatus, data: bytes, content_type: str, headers: Mapping[str, str]
    ) -> None:
        """Send the answer; the connection closes after it unless the request was read whole."""
        if not self._request_ended():
            self.close_after = True  # an unread body would be taken for the next request
        fields = [
            ("Server", "journey"),
            ("Content-Type", content_type),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            *headers.items(),
        ]
        if self.close_after:
            fields.append(("Connection", "close"))
        response = h11.Response(status_code=int(status), headers=fields, reason=status.phrase)
        out = self.protocol.send(response) + self.protocol.send(h11.Data(data=data))
        self._write(out + self.protocol.send(h11.EndOfMessage()))

    def _request_ended(self) -> bool:
        """True when the request is read to its end; a request without a body ends at its head."""
        if self.protocol.their_state is h11.SEND_BODY and not self.body_read:
            try:
                self.body_read = isinstance(self.protocol.next_event(), h11.EndOfMessage)
            except h11.RemoteProtocolError:
                return False
        return self.protocol.their_state is h11.DONE

    def _write(self, data: bytes | None) -> None:
        try:
            self.conn.sock.sendall(data or b"")
        except OSError as exc:
            raise ClientGone(str(exc)) from exc

    def reusable(self) -> bool:
        """True when the connection can carry the next request (and is ready for it)."""
        if self.protocol.our_state is h11.DONE and self.protocol.their_state is h11.DONE:
            self.protocol.start_next_cycle()
            return True
        return False

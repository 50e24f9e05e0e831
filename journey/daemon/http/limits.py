"""How many clients the HTTP API serves at once, and how long one may take to send a request.

Each open connection holds a thread. `ConnectionSlots` caps them: a connection
over the cap never gets a thread; it is answered 503 with `Retry-After` at
once, from the accepting thread, and closed a moment later (`Refusals`), so a
flood of clients costs sockets, not threads. `DeadlineReader` cuts off a slow
client that trickles a byte at a time: every read still waits at most the
idle timeout, and the whole request must arrive by a deadline.
"""

from __future__ import annotations

import io
import json
import math
import socket
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

RETRY_AFTER_SECONDS = 1
MIN_BODY_RATE = 16_384  # bytes/s: a body gets the idle timeout plus its size at this rate
_LINGER_SECONDS = 2.0  # time a refused client has to read the 503 before we close
_MAX_LINGERING = 1024  # refused sockets kept open at once; beyond, the oldest is closed
_TEND_EVERY = 0.05  # seconds: tending after every accept made a flood quadratic
_DRAIN_CHUNKS = 32  # reads of 64 KiB (2 MiB) per refused socket per tend


class ConnectionSlots:
    """At most `limit` connections are served at once; counts what was refused."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the connection limit must be at least 1")
        self.limit = limit
        self._lock = threading.Lock()
        self._open = 0
        self._refused = 0

    def take(self) -> bool:
        """A slot for a new connection, or False (and one more refusal counted)."""
        with self._lock:
            if self._open >= self.limit:
                self._refused += 1
                return False
            self._open += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self._open -= 1

    def counts(self) -> tuple[int, int]:
        """(open now, refused since start)."""
        with self._lock:
            return self._open, self._refused


def overload_reply() -> bytes:
    """The complete 503 response for a connection over the cap, as JSON like every error."""
    body = json.dumps(
        {"error": "too many connections; try again shortly", "retry_after": RETRY_AFTER_SECONDS}
    ).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Server: journey\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Retry-After: {RETRY_AFTER_SECONDS}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class Refusals:
    """Connections over the cap: answered at once, closed once the client had time to read.

    Closing a socket with unread request bytes makes the kernel send a reset,
    which can destroy the answer before the client reads it. So the socket is
    half-closed after the answer and kept a moment, its input drained without
    blocking from the accepting thread (`tend`), and closed when the client
    closes or `_LINGER_SECONDS` pass. Used from the accepting thread only.
    """

    def __init__(self) -> None:
        self._lingering: deque[tuple[socket.socket, float]] = deque()
        self._reply = overload_reply()
        self._next_tend = 0.0

    def refuse(self, sock: socket.socket) -> None:
        try:
            sock.setblocking(False)
            sock.send(self._reply)  # a few hundred bytes into an empty send buffer
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sock.close()
            return
        if len(self._lingering) >= _MAX_LINGERING:
            self._lingering.popleft()[0].close()
        self._lingering.append((sock, time.monotonic() + _LINGER_SECONDS))

    def tend(self) -> None:
        """Drain what refused clients sent; close those that are done or out of time."""
        now = time.monotonic()
        if now < self._next_tend or not self._lingering:
            return
        self._next_tend = now + _TEND_EVERY
        keep: deque[tuple[socket.socket, float]] = deque()
        for sock, until in self._lingering:
            if _drained_to_end(sock) or now >= until:
                sock.close()
            else:
                keep.append((sock, until))
        self._lingering = keep

    def close_all(self) -> None:
        for sock, _ in self._lingering:
            sock.close()
        self._lingering.clear()


def _drained_to_end(sock: socket.socket) -> bool:
    """Read and drop what is there; True once the client closed or the socket failed.

    At most `_DRAIN_CHUNKS` reads per call, so a client that sends faster than
    we drop cannot hold the accepting thread.
    """
    try:
        for _ in range(_DRAIN_CHUNKS):
            if not sock.recv(65536):
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True
    return False


class DeadlineReader(io.RawIOBase):
    """Socket reads that give up at a deadline however slowly the bytes trickle in.

    A per-read timeout alone lets a client hold its connection for ever by
    sending a byte just before each timeout ("slowloris"). Here each read waits
    at most `idle` seconds, and a request must also be complete within its
    budget counted from its first byte (so an idle keep-alive connection is
    governed by the idle timeout only). Raises TimeoutError, which
    http.server answers by closing the connection.
    """

    def __init__(self, sock: socket.socket, *, idle: float) -> None:
        super().__init__()
        self._sock = sock
        self._idle = idle
        self._deadline = math.inf
        self._budget: float | None = None  # armed at the first byte of the request

    def readable(self) -> bool:
        return True

    def start_request(self, budget: float) -> None:
        """The next request's line and headers must arrive within `budget` of its first byte."""
        self._deadline = math.inf
        self._budget = budget

    def allow(self, seconds: float) -> None:
        """From now, `seconds` more for this request (a body, once its length is known)."""
        self._budget = None
        self._deadline = time.monotonic() + seconds

    def stop(self) -> None:
        """The request is read; what follows (the answer) is not under the deadline."""
        self._budget = None
        self._deadline = math.inf

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive in time")
        shortened = remaining < self._idle
        if shortened:
            self._sock.settimeout(remaining)
        try:
            n = self._sock.recv_into(buffer)
        finally:
            if shortened:
                self._sock.settimeout(self._idle)  # writes keep the idle timeout
        if n and self._budget is not None:
            self._deadline = time.monotonic() + self._budget
            self._budget = None
        return n

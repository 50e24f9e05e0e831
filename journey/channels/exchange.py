"""One exchange with a peer under a total deadline, enforced by shutting its socket down.

A per-read socket timeout does not bound an exchange: a peer that trickles one
byte every two seconds never lets a read time out. An :class:`Exchange` gives
the whole conversation (connect, TLS, every command, the body, the answer) one
deadline. Before each step the socket's timeout is set to the time remaining
(:meth:`Exchange.step`), and a watchdog timer shuts the socket down when the
deadline passes, so a read blocked on a trickle returns at once. The daemon's
stop aborts every open exchange the same way (:meth:`Exchanges.abort_all`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Literal

from journey.errors import DeliveryError, DeliveryInterrupted

DEFAULT_DEADLINE_SECONDS = 30.0

AbortReason = Literal["deadline", "stopping"]
SocketSource = Callable[[], socket.socket | None]


class Exchange:
    """A context manager: the deadline runs from entry; sockets are watched from `watch`."""

    def __init__(self, seconds: float, *, step_timeout: float, owner: Exchanges) -> None:
        self.seconds = seconds
        self.step_timeout = step_timeout
        self.aborted: AbortReason | None = None
        # Set once the peer has the whole message (DATA's final dot, a request's
        # last byte): from then on a lost answer leaves the outcome unknown.
        self.handed_over = False
        self._owner = owner
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sources: list[SocketSource] = []
        self._timer = threading.Timer(seconds, self.abort, args=("deadline",))
        self._timer.daemon = True

    def __enter__(self) -> Exchange:
        self._owner.add(self)
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        self._owner.discard(self)

    def remaining(self) -> float:
        return self._ends - time.monotonic()

    def watch(self, source: SocketSource) -> None:
        """`source()` gives the socket to shut down at the deadline (it may change: STARTTLS)."""
        with self._lock:
            self._sources.append(source)
            aborted = self.aborted
        if aborted is not None:
            _shut(source())

    def step(self, sock: socket.socket | None = None) -> float:
        """Before each step: fail if the time is spent, else give `sock` what remains."""
        self.check()
        timeout = max(min(self.step_timeout, self.remaining()), 0.001)
        if sock is not None:
            sock.settimeout(timeout)
        return timeout

    def check(self) -> None:
        if self.aborted is None and self.remaining() <= 0:
            self.abort("deadline")
        if self.aborted is not None:
            raise self.failure("")

    def abort(self, reason: AbortReason) -> None:
        """Shut the watched sockets down: a blocked read or write returns with an error now."""
        with self._lock:
            if self.aborted is not None:
                return
            self.aborted = reason
            sources = list(self._sources)
        for source in sources:
            _shut(source())

    def failure(self, what: str) -> DeliveryError:
        """The error for an exchange that was aborted; `what` names the peer ("SMTP")."""
        if self.aborted == "stopping":
            return DeliveryInterrupted()
        prefix = f"{what} " if what else ""
        return DeliveryError(
            f"{prefix}exchange exceeded its {self.seconds:g} s deadline", permanent=False
        )


class Exchanges:
    """A channel's open exchanges, so that stopping the daemon can abort them all at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[Exchange] = set()
        self.stopping = False

    def begin(self, seconds: float, *, step_timeout: float) -> Exchange:
        if self.stopping:
            raise DeliveryInterrupted()
        return Exchange(seconds, step_timeout=step_timeout, owner=self)

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self._open.add(exchange)
            stopping = self.stopping
        if stopping:
            exchange.abort("stopping")

    def discard(self, exchange: Exchange) -> None:
        with self._lock:
            self._open.discard(exchange)

    def abort_all(self) -> int:
        """Abort what is open and refuse new exchanges; returns how many were aborted."""
        with self._lock:
            self.stopping = True
            running = list(self._open)
        for exchange in running:
            exchange.abort("stopping")
        return len(running)


def _shut(sock: socket.socket | None) -> None:
    if sock is None:
        return
    # The plain socket's shutdown, also for an SSLSocket: no TLS close_notify
    # exchange with a peer that is not answering. OSError: closed, or never connected.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)

"""One thread that accepts connections and reads every request head without blocking.

A connection costs a socket and a buffer here, never a thread, until its
request head is complete (parsed by h11, checked by wire.py); then `dispatch`
decides: answer at once (401, 404, 405, 503) or hand it to a worker. After the
answer a worker hands a keep-alive connection back (`hand_back`) for its next
request. Deadlines: a head must be complete within `timeout` of its first byte,
and a connection with no request under way is closed after `timeout` idle.
At most `max_waiting` connections wait here; a new one beyond that closes an
idle keep-alive connection first, else the one that has waited longest.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

import h11

from journey.daemon.http.limits import MAX_HEAD_BYTES, Lingering, plain_reply
from journey.daemon.http.wire import head_problem

log = logging.getLogger("journey.http")

_EXPIRE_EVERY = 0.05  # seconds between deadline scans
_ACCEPT_BURST = 64  # connections accepted per wake-up of the listening socket


@dataclass(eq=False)
class Connection:
    """A client connection and its h11 state; owned by the loop or by one worker at a time."""

    sock: socket.socket
    peer: str
    protocol: h11.Connection = field(
        default_factory=lambda: h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
    )
    raw: bytearray = field(default_factory=bytearray)  # the current head's bytes so far
    head_started: float | None = None
    last_active: float = field(default_factory=time.monotonic)
    served: int = 0  # requests answered on this connection


Dispatch = Callable[[Connection, h11.Request], bytes | None]
"""Takes a complete head: None when a worker took the connection, else the reply to close with."""


class Loop:
    def __init__(
        self,
        listener: socket.socket,
        dispatch: Dispatch,
        *,
        timeout: float,
        max_waiting: int,
        on_reject: Callable[[int], None],
    ) -> None:
        self._listener = listener
        self._dispatch = dispatch
        self._timeout = timeout
        self._max_waiting = max_waiting
        self._on_reject = on_reject  # counts a reply the loop gave, by status
        self._selector = selectors.DefaultSelector()
        self._waiting: dict[Connection, None] = {}
        self._lingering = Lingering()
        self._returns: list[tuple[Connection, bytes | None]] = []
        self._returns_lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._stopped.set()
        self._next_expiry = 0.0
        self.evicted = 0

    # ---------------------------------------------------------------- the loop
    def run(self, poll_interval: float) -> None:
        self._stop.clear()
        self._stopped.clear()
        self._listener.setblocking(False)
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        try:
            while not self._stop.is_set():
                for key, _ in self._selector.select(poll_interval):
                    self._handle(key)
                self._expire()
        finally:
            self._selector.unregister(self._listener)
            self._selector.unregister(self._wake_r)
            self._stopped.set()

    def _handle(self, key: selectors.SelectorKey) -> None:
        """One ready socket; a bug here costs that connection, never the loop."""
        try:
            if key.fileobj is self._listener:
                self._accept()
            elif key.fileobj is self._wake_r:
                self._take_returns()
            else:
                self._readable(key.data)
        except Exception:
            log.exception("HTTP loop failed on a connection")
            if isinstance(key.data, Connection):
                self._close(key.data)

    def stop(self) -> None:
        """Ask the loop to end and wait until it has."""
        self._stop.set()
        self._wake()
        self._stopped.wait()

    def close(self) -> None:
        for conn in list(self._waiting):
            self._close(conn)
        with self._returns_lock:
            returns, self._returns = self._returns, []
        for conn, _ in returns:
            conn.sock.close()
        self._lingering.close_all()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def waiting(self) -> int:
        return len(self._waiting)

    # ------------------------------------------------------- from the workers
    def hand_back(self, conn: Connection, reply: bytes | None = None) -> None:
        """From a worker: wait for this connection's next request, or (`reply` given) close it.

        `reply` is sent first unless empty: b"" closes after a moment for the
        client to read what the worker already sent.
        """
        with self._returns_lock:
            self._returns.append((conn, reply))
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full: a wake-up is pending anyway
            self._wake_w.send(b"x")

    def _take_returns(self) -> None:
        with contextlib.suppress(OSError):
            while self._wake_r.recv(4096):
                pass
        with self._returns_lock:
            returns, self._returns = self._returns, []
        for conn, reply in returns:
            if reply is not None:
                self._lingering.answer_and_close(conn.sock, reply)
                continue
            conn.sock.setblocking(False)
            conn.raw = bytearray(conn.protocol.trailing_data[0])
            conn.head_started = time.monotonic() if conn.raw else None
            conn.last_active = time.monotonic()
            self._watch(conn)
            if conn.raw:  # a pipelined request is already here
                self._advance(conn)

    # ------------------------------------------------------------- connections
    def _accept(self) -> None:
        for _ in range(_ACCEPT_BURST):
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of file descriptors: the backlog keeps the rest
                log.warning("cannot accept HTTP connections: %s", exc)
                return
            if len(self._waiting) >= self._max_waiting:
                self._evict()
            sock.setblocking(False)
            self._watch(Connection(sock=sock, peer=str(address[0])))

    def _evict(self) -> None:
        """Make room: an idle keep-alive connection first, else the longest-waiting one."""
        idle = [c for c in self._waiting if c.served and not c.raw]
        pool = idle or list(self._waiting)
        victim = min(pool, key=lambda c: c.last_active if c in idle else (c.head_started or 0.0))
        self.evicted += 1
        self._close(victim)

    def _watch(self, conn: Connection) -> None:
        self._waiting[conn] = None
        self._selector.register(conn.sock, selectors.EVENT_READ, conn)

    def _unwatch(self, conn: Connection) -> None:
        self._waiting.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(conn.sock)

    def _close(self, conn: Connection) -> None:
        self._unwatch(conn)
        conn.sock.close()

    def _readable(self, conn: Connection) -> None:
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            self._close(conn)
            return
        if not data:
            self._close(conn)
            return
        now = time.monotonic()
        if conn.head_started is None:
            conn.head_started = now
        conn.last_active = now
        conn.raw += data
        conn.protocol.receive_data(data)
        self._advance(conn)

    def _advance(self, conn: Connection) -> None:
        try:
            event = conn.protocol.next_event()
        except h11.RemoteProtocolError as exc:
            self._reject(conn, HTTPStatus(exc.error_status_hint), str(exc))
            return
        if event is h11.NEED_DATA:
            if len(conn.raw) > MAX_HEAD_BYTES:
                self._reject(conn, HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers too large")
            return
        if not isinstance(event, h11.Request):  # ConnectionClosed, or nothing sensible
            self._close(conn)
            return
        problem = head_problem(bytes(conn.raw), event)
        if problem is not None:
            self._reject(conn, *problem)
            return
        self._unwatch(conn)
        reply = self._dispatch(conn, event)
        if reply is not None:
            self._lingering.answer_and_close(conn.sock, reply)

    def _reject(self, conn: Connection, status: HTTPStatus, message: str) -> None:
        """A request h11 or wire.py refused: a JSON error, and the connection closes."""
        log.debug("HTTP request from %s refused: %s", conn.peer, message)
        self._unwatch(conn)
        self._on_reject(int(status))
        self._lingering.answer_and_close(conn.sock, plain_reply(status, {"error": message}))

    def _expire(self) -> None:
        now = time.monotonic()
        if now < self._next_expiry:
            return
        self._next_expiry = now + _EXPIRE_EVERY
        for conn in list(self._waiting):
            since = conn.head_started if conn.head_started is not None else conn.last_active
            if now - since >= self._timeout:
                log.debug("HTTP connection from %s timed out", conn.peer)
                self._close(conn)
        if len(self._lingering):
            self._lingering.tend()

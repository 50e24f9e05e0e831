"""The HTTP API's budgets: how many requests are served at once, and the replies over a budget.

No connection holds a thread while it sends its request line and headers:
the loop (loop.py) reads those for every connection without blocking. A
request gets a thread from a `WorkerPool` only once its head is complete and
it passed the token check, so slow or unauthenticated clients cannot take
the threads authorised requests need. Requests with a valid token have their
own pool (`http.max_connections` threads), the public routes (`/healthz`, the
unsubscribe page) a small one (`PUBLIC_WORKERS`). A request that finds its
pool busy is answered 503 with `Retry-After` at once, from the loop.

A connection answered and then closed by the server lingers a moment
(`Lingering`): closing a socket with unread request bytes makes the kernel
send a reset, which can destroy the answer before the client reads it.
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

log = logging.getLogger("journey.http")

RETRY_AFTER_SECONDS = 1
MIN_BODY_RATE = 16_384  # bytes/s: a body gets the timeout plus its size at this rate
MAX_HEAD_BYTES = 16_384  # request line and headers together
MAX_WAITING = 512  # connections between requests (sending a head, or idle keep-alive)
PUBLIC_WORKERS = 4  # threads for /healthz and the unsubscribe page
_LINGER_SECONDS = 2.0  # time a client has to read our last answer before we close
_MAX_LINGERING = 1024  # sockets kept lingering at once; beyond, the oldest is closed
_DRAIN_CHUNKS = 32  # reads of 64 KiB (2 MiB) per lingering socket per tend


class WorkerPool:
    """At most `size` jobs run at once, each on a daemon thread; more are refused, not queued.

    Threads start on demand and stay for the next job. Daemon threads, so a
    client stuck in a body never holds up the daemon's exit.
    """

    def __init__(self, name: str, size: int) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one thread")
        self.name = name
        self.size = size
        self._lock = threading.Lock()
        self._busy = 0
        self._refused = 0
        self._threads: list[threading.Thread] = []
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()

    def try_submit(self, job: Callable[[], None]) -> bool:
        """Run `job` on a free thread, or False (one more refusal counted) when all are busy."""
        with self._lock:
            if self._busy >= self.size:
                self._refused += 1
                return False
            self._busy += 1
            if self._busy > len(self._threads):
                thread = threading.Thread(
                    target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._jobs.put(job)
        return True

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:  # a job logs its own failures; this is the last resort
                log.exception("HTTP worker failed")
            finally:
                with self._lock:
                    self._busy -= 1

    def counts(self) -> tuple[int, int]:
        """(busy now, refused since start)."""
        with self._lock:
            return self._busy, self._refused

    def stop(self) -> None:
        """Let the threads end once their job is done."""
        with self._lock:
            count = len(self._threads)
        for _ in range(count):
            self._jobs.put(None)


def plain_reply(
    status: HTTPStatus, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> bytes:
    """A complete JSON response that closes the connection, for answers given by the loop."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    lines = [
        f"HTTP/1.1 {int(status)} {status.phrase}",
        "Server: journey",
        "Content-Type: application/json; charset=utf-8",
        f"Content-Length: {len(data)}",
        "Cache-Control: no-store",
        "X-Content-Type-Options: nosniff",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
        "Connection: close",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


def overload_reply() -> bytes:
    """The 503 for a request whose worker pool is busy."""
    return plain_reply(
        HTTPStatus.SERVICE_UNAVAILABLE,
        {"error": "too many requests at once; try again shortly", "retry_after": 1},
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class Lingering:
    """Answered sockets, closed once the client had time to read the answer.

    The socket is half-closed after the answer and kept a moment, its input
    drained without blocking from the loop's thread (`tend`), and closed when
    the client closes or `_LINGER_SECONDS` pass. Used from the loop's thread only.
    """

    def __init__(self) -> None:
        self._sockets: deque[tuple[socket.socket, float]] = deque()

    def answer_and_close(self, sock: socket.socket, reply: bytes) -> None:
        try:
            sock.setblocking(False)
            if reply:
                sock.send(reply)  # a few hundred bytes into a send buffer
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sock.close()
            return
        if len(self._sockets) >= _MAX_LINGERING:
            self._sockets.popleft()[0].close()
        self._sockets.append((sock, time.monotonic() + _LINGER_SECONDS))

    def tend(self) -> None:
        """Drain what the clients sent; close those that are done or out of time."""
        now = time.monotonic()
        keep: deque[tuple[socket.socket, float]] = deque()
        for sock, until in self._sockets:
            if _drained_to_end(sock) or now >= until:
                sock.close()
            else:
                keep.append((sock, until))
        self._sockets = keep

    def __len__(self) -> int:
        return len(self._sockets)

    def close_all(self) -> None:
        for sock, _ in self._sockets:
            sock.close()
        self._sockets.clear()


def _drained_to_end(sock: socket.socket) -> bool:
    """Read and drop what is there; True once the client closed or the socket failed.

    At most `_DRAIN_CHUNKS` reads per call, so a client that sends faster than
    we drop cannot hold the loop.
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

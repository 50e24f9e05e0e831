"""The listening side of the HTTP API: configuration, lifecycle and request counters.

Standard library only (ThreadingHTTPServer). What a request does is decided in
handler.py; what storing means is the daemon's, passed in as `HttpHandlers`.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http.server import ThreadingHTTPServer
from typing import Any

from journey.clock import SystemClock
from journey.daemon.http.handler import RequestHandler
from journey.daemon.http.limits import ConnectionSlots, Refusals
from journey.errors import JourneyError
from journey.ingest import ContactChange
from journey.model import Event
from journey.unsubscribe import SECRET_ENV
from journey.workspace import HttpSettings

log = logging.getLogger("journey.http")


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpHandlers:
    """What the daemon does with a request; each callback may be called from several threads.

    `ingest_events` returns, per event, `new` when stored (or queued),
    `duplicate` for an id already seen with the same content and `conflict` for
    one seen with other content (journey.ingest.dedup); `change_contacts`
    returns an outcome word per change (e.g. `created`, `updated`, `deleted`,
    `absent`), which the reply counts.
    """

    ingest_events: Callable[[list[Event]], Sequence[str]]
    change_contacts: Callable[[list[ContactChange]], Sequence[str]]
    metrics: Callable[[], str]
    unsubscribe: Callable[[str, str], None]
    health: Callable[[], Mapping[str, Any]]
    now: Callable[[], datetime] = field(default=SystemClock().now)


class JourneyHTTPServer(ThreadingHTTPServer):
    """A thread per connection, at most `max_connections` of them; the rest get a quick 503."""

    daemon_threads = True
    block_on_close = False
    # The kernel's queue of connections not yet accepted. The default of 5 drops
    # connections in a burst (clients then wait for a SYN retransmit, 1 s and up);
    # accepting is quick, refusing over the cap too, so a longer queue is cheap.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        *,
        handlers: HttpHandlers,
        token: str | None,
        secret: bytes | None,
        max_body_bytes: int,
        timeout: float,
        max_connections: int = 64,
    ) -> None:
        self.handlers = handlers
        self.token = token
        self.secret = secret
        self.max_body_bytes = max_body_bytes
        self.request_timeout = timeout
        self.requests: Counter[tuple[str, int]] = Counter()
        self.counter_lock = threading.Lock()
        self.slots = ConnectionSlots(max_connections)
        self.refusals = Refusals()
        super().__init__(address, RequestHandler)

    # ------------------------------------------------------ connection cap
    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread for the connection if a slot is free, else a 503 from this thread."""
        if not self.slots.take():
            self.refusals.refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.give_back()  # no thread started: the caller closes the socket
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.give_back()

    def service_actions(self) -> None:
        """Runs on the accepting thread every poll interval: finish off refused sockets."""
        self.refusals.tend()

    def server_close(self) -> None:
        super().server_close()
        self.refusals.close_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that vanished is routine; anything else goes to the log, not to stderr."""
        if isinstance(sys.exc_info()[1], OSError):
            log.debug("connection from %s ended: %s", client_address, sys.exc_info()[1])
        else:
            log.exception("HTTP connection from %s failed", client_address)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def count(self, route: str, status: int) -> None:
        with self.counter_lock:
            self.requests[(route, status)] += 1

    def request_metrics(self) -> str:
        lines = [
            "# HELP journey_http_requests_total HTTP requests by route and status.",
            "# TYPE journey_http_requests_total counter",
        ]
        with self.counter_lock:
            for (route, status), n in sorted(self.requests.items()):
                lines.append(f'journey_http_requests_total{{route="{route}",code="{status}"}} {n}')
        open_now, refused = self.slots.counts()
        lines += [
            "# HELP journey_http_connections_open HTTP connections being served now.",
            "# TYPE journey_http_connections_open gauge",
            f"journey_http_connections_open {open_now}",
            "# HELP journey_http_connections_refused_total Connections answered 503 at the cap.",
            "# TYPE journey_http_connections_refused_total counter",
            f"journey_http_connections_refused_total {refused}",
        ]
        return "\n".join(lines) + "\n"


def make_server(
    settings: HttpSettings,
    handlers: HttpHandlers,
    *,
    env: Mapping[str, str] | None = None,
    allow_no_token: bool = False,
    timeout: float = 10.0,
) -> JourneyHTTPServer:
    """Bind (port 0 picks a free one). No bearer token in the environment -> JourneyError.

    `timeout` is how long one read waits for a client, and also how long a
    request's line and headers may take from their first byte (a body gets it
    plus its size at `MIN_BODY_RATE`): trickling bytes does not keep a thread.
    """
    env = os.environ if env is None else env
    token = env.get(settings.token_env) or None
    if token is None and not allow_no_token:
        raise JourneyError(
            f"the environment variable {settings.token_env} is not set; the HTTP API needs "
            "a bearer token (use a long random string; set http.token_env to use another name)"
        )
    secret = env.get(SECRET_ENV, "").encode("utf-8") or None
    try:
        return JourneyHTTPServer(
            (settings.host, settings.port),
            handlers=handlers,
            token=token,
            secret=secret,
            max_body_bytes=settings.max_body_bytes,
            timeout=timeout,
            max_connections=settings.max_connections,
        )
    except OSError as exc:
        raise JourneyError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"
        ) from None


def serve_in_thread(server: JourneyHTTPServer, *, poll_interval: float = 0.2) -> threading.Thread:
    """Serve until `server.shutdown()`; the daemon calls that on SIGTERM."""
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": poll_interval},
        name="journey-http",
        daemon=True,
    )
    thread.start()
    return thread

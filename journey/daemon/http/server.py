"""The listening side of the HTTP API: configuration, lifecycle, who gets a worker, counters.

HTTP/1.1 is parsed by h11 (a sans-IO state machine, the parser under httpx,
uvicorn and hypercorn), driven by our own loop (loop.py) and workers
(exchange.py): the daemon stays threaded and synchronous. What a request does
is decided in handler.py; what storing means is the daemon's, passed in as
`HttpHandlers`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import h11

from journey.clock import SystemClock
from journey.daemon.http.auth import check_bearer, check_token_strength
from journey.daemon.http.exchange import Exchange
from journey.daemon.http.handler import serve
from journey.daemon.http.limits import (
    MAX_WAITING,
    PUBLIC_WORKERS,
    WorkerPool,
    overload_reply,
    plain_reply,
)
from journey.daemon.http.loop import Connection, Loop
from journey.daemon.http.preferences_page import TopicChoice
from journey.daemon.http.routes import PUBLIC_ROUTES, HttpError, allowed_methods, route_name
from journey.daemon.http.tracking_endpoint import Track
from journey.daemon.http.unsubscribe_page import PageLanguage
from journey.daemon.http.wire import header_map
from journey.errors import JourneyError
from journey.ingest import ContactChange
from journey.model import Event
from journey.unsubscribe import SECRET_ENV
from journey.workspace import HttpSettings

log = logging.getLogger("journey.http")

# The kernel's queue of connections not yet accepted: the default of 5 drops
# connections in a burst (clients then wait for a SYN retransmit, 1 s and up).
_BACKLOG = 128


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
    # The keys whose unsubscribe links are honoured (the store's); None: JOURNEY_SECRET's.
    unsubscribe_keys: Callable[[], Sequence[bytes]] | None = None
    # (contact id, journey id, Accept-Language) -> the unsubscribe page's language.
    unsubscribe_language: Callable[[str, str, str | None], PageLanguage] | None = None
    # Each parsed record held against the workspace's declarations (journey.ingest.door):
    # the record back, or RecordError to refuse it alone.
    check_event: Callable[[Event], Event] | None = None
    check_contact: Callable[[ContactChange], ContactChange] | None = None
    # A verified tracked-link hit -> its target ("" for the pixel), None for no such message.
    track: Track | None = None
    # The preference centre: (contact id) -> the workspace's topics and the contact's
    # choices (none: the plain unsubscribe page); and (contact id, journey id,
    # {topic: subscribed}, everything) -> stores a choice.
    preference_topics: Callable[[str], Sequence[TopicChoice]] | None = None
    set_preferences: Callable[[str, str, Mapping[str, bool], bool], None] | None = None


class JourneyHTTPServer:
    """The API's listening socket, its loop (heads) and its two worker pools (requests).

    `max_connections` requests with a valid token are served at once, and
    `PUBLIC_WORKERS` on the public routes; see limits.py for why slow and
    unauthenticated clients cannot take those threads.
    """

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
        max_waiting: int = MAX_WAITING,
    ) -> None:
        self.handlers = handlers
        self.token = token
        self.secret = secret
        self.max_body_bytes = max_body_bytes
        self.request_timeout = timeout
        self.requests: Counter[tuple[str, int]] = Counter()
        self.counter_lock = threading.Lock()
        self.authorised = WorkerPool("journey-http", max_connections)
        self.public = WorkerPool("journey-http-public", PUBLIC_WORKERS)
        self.socket = socket.create_server(address, backlog=_BACKLOG)
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        self.loop = Loop(
            self.socket,
            self._dispatch,
            timeout=timeout,
            max_waiting=max_waiting,
            on_reject=lambda status: self.count("other", status),
        )

    # ------------------------------------------------------------- lifecycle
    def serve_forever(self, poll_interval: float = 0.2) -> None:
        self.loop.run(poll_interval)

    def shutdown(self) -> None:
        """Stop accepting and reading; returns once the loop has ended."""
        self.loop.stop()

    def server_close(self) -> None:
        self.loop.close()
        self.socket.close()
        self.authorised.stop()
        self.public.stop()

    # -------------------------------------------------------------- requests
    def _dispatch(self, conn: Connection, request: h11.Request) -> bytes | None:
        """On the loop: answer at once (the reply) or give the request a worker (None)."""
        path = urlsplit(request.target.decode("ascii", "replace")).path
        route = route_name(path)
        try:
            method = request.method.decode("ascii")
            allowed = allowed_methods(path)
            if method not in allowed:
                raise HttpError(
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    f"{method} is not allowed on {path}",
                    headers={"Allow": ", ".join(sorted(allowed))},
                )
            public = route in PUBLIC_ROUTES
            if not public:
                check_bearer(header_map(request).get("authorization", ""), self.token)
        except HttpError as exc:
            self.count(route, int(exc.status))
            return plain_reply(exc.status, exc.body, exc.headers)
        pool = self.public if public else self.authorised
        if pool.try_submit(lambda: self._work(conn, request)):
            return None
        self.count(route, int(HTTPStatus.SERVICE_UNAVAILABLE))
        return overload_reply()

    def _work(self, conn: Connection, request: h11.Request) -> None:
        exchange = Exchange(conn, request, timeout=self.request_timeout)
        if serve(exchange, self):
            conn.served += 1
            self.loop.hand_back(conn)
        else:
            self.loop.hand_back(conn, b"")

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def count(self, route: str, status: int) -> None:
        with self.counter_lock:
            self.requests[(route, status)] += 1

    def connection_counts(self) -> dict[str, int]:
        """Connections waiting for a head (or idle), requests being served, refusals, evictions."""
        busy, refused = self.authorised.counts()
        public_busy, public_refused = self.public.counts()
        return {
            "waiting": self.loop.waiting(),
            "serving": busy + public_busy,
            "refused": refused + public_refused,
            "evicted": self.loop.evicted,
        }

    def request_metrics(self) -> str:
        lines = [
            "# HELP journey_http_requests_total HTTP requests by route and status.",
            "# TYPE journey_http_requests_total counter",
        ]
        with self.counter_lock:
            for (route, status), n in sorted(self.requests.items()):
                lines.append(f'journey_http_requests_total{{route="{route}",code="{status}"}} {n}')
        counts = self.connection_counts()
        lines += [
            "# HELP journey_http_connections_open HTTP connections open (waiting or served).",
            "# TYPE journey_http_connections_open gauge",
            f"journey_http_connections_open {counts['waiting'] + counts['serving']}",
            "# HELP journey_http_requests_in_progress HTTP requests being served by a worker.",
            "# TYPE journey_http_requests_in_progress gauge",
            f"journey_http_requests_in_progress {counts['serving']}",
            "# HELP journey_http_connections_refused_total Requests refused: all workers busy.",
            "# TYPE journey_http_connections_refused_total counter",
            f"journey_http_connections_refused_total {counts['refused']}",
            "# HELP journey_http_connections_evicted_total Waiting connections closed for room.",
            "# TYPE journey_http_connections_evicted_total counter",
            f"journey_http_connections_evicted_total {counts['evicted']}",
        ]
        return "\n".join(lines) + "\n"


def make_server(
    settings: HttpSettings,
    handlers: HttpHandlers,
    *,
    env: Mapping[str, str] | None = None,
    allow_no_token: bool = False,
    timeout: float = 10.0,
    max_waiting: int = MAX_WAITING,
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
    if token is not None:
        check_token_strength(token, settings.token_env)
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
            max_waiting=max_waiting,
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

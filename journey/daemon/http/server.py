"""The listening side of the HTTP API: configuration, lifecycle and request counters.

Standard library only (ThreadingHTTPServer). What a request does is decided in
handler.py; what storing means is the daemon's, passed in as `HttpHandlers`.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http.server import ThreadingHTTPServer
from typing import Any

from journey.clock import SystemClock
from journey.daemon.http.handler import RequestHandler
from journey.errors import JourneyError
from journey.ingest import ContactChange
from journey.model import Event
from journey.unsubscribe import SECRET_ENV
from journey.workspace import HttpSettings


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpHandlers:
    """What the daemon does with a request; each callback may be called from several threads.

    `ingest_events` returns, per event, True when stored and False for an id
    already seen; `change_contacts` returns an outcome word per change
    (e.g. `created`, `updated`, `deleted`, `absent`), which the reply counts.
    """

    ingest_events: Callable[[list[Event]], Sequence[bool]]
    change_contacts: Callable[[list[ContactChange]], Sequence[str]]
    metrics: Callable[[], str]
    unsubscribe: Callable[[str, str], None]
    health: Callable[[], Mapping[str, Any]]
    now: Callable[[], datetime] = field(default=SystemClock().now)


class JourneyHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        *,
        handlers: HttpHandlers,
        token: str | None,
        secret: bytes | None,
        max_body_bytes: int,
        timeout: float,
    ) -> None:
        self.handlers = handlers
        self.token = token
        self.secret = secret
        self.max_body_bytes = max_body_bytes
        self.request_timeout = timeout
        self.requests: Counter[tuple[str, int]] = Counter()
        self.counter_lock = threading.Lock()
        super().__init__(address, RequestHandler)

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
        return "\n".join(lines) + "\n"


def make_server(
    settings: HttpSettings,
    handlers: HttpHandlers,
    *,
    env: Mapping[str, str] | None = None,
    allow_no_token: bool = False,
    timeout: float = 10.0,
) -> JourneyHTTPServer:
    """Bind (port 0 picks a free one). No bearer token in the environment -> JourneyError."""
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

"""The daemon's HTTP API: events and contacts in, health and metrics out, one-click unsubscribe.

Standard library only (ThreadingHTTPServer). The server parses and validates;
what storing means is the daemon's, passed in as :class:`HttpHandlers`. An
event is acknowledged only after `ingest_events` returned, i.e. after it is
stored. Every error is a small JSON body; a traceback never leaves the process.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from journey.clock import SystemClock
from journey.errors import JourneyError
from journey.ingest import ContactChange, parse_contact, parse_event
from journey.ingest.payload import PayloadError, is_supported, parse_all, split_body
from journey.model import Event
from journey.unsubscribe import SECRET_ENV, verify_unsubscribe_token
from journey.workspace import HttpSettings

log = logging.getLogger("journey.http")

UNSUBSCRIBE_PREFIX = "/v1/unsubscribe/"
_SMALL_BODY = 4096  # an RFC 8058 POST carries `List-Unsubscribe=One-Click`
_DISCARD_LIMIT = 1_048_576  # read and drop at most this much of a refused body
_BEARER = "bearer "


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


class HttpError(Exception):
    """Ends a request with `status` and a JSON body; raised inside the handler only."""

    def __init__(self, status: HTTPStatus, body: Mapping[str, Any] | str) -> None:
        super().__init__(body if isinstance(body, str) else body.get("error", ""))
        self.status = status
        self.body: dict[str, Any] = {"error": body} if isinstance(body, str) else dict(body)


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
        super().__init__(address, _RequestHandler)

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


class _RequestHandler(BaseHTTPRequestHandler):
    server: JourneyHTTPServer
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "journey"

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.request_timeout)  # slow clients get cut off

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    # ---------------------------------------------------------------- routing
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        self._extra_headers: dict[str, str] = {}
        self._body_read = False
        try:
            self._route(method, path)
        except HttpError as exc:
            self._send_json(exc.status, exc.body)
        except PayloadError as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, exc.as_json())
        except Exception:  # a bug or a failing callback: log it, tell the client nothing more
            log.exception("HTTP %s %s failed", method, path)
            self._send_json(
                HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error; see the daemon's log"}
            )

    def _route(self, method: str, path: str) -> None:
        allowed = _ALLOWED.get(_route_name(path))
        if allowed is None:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")
        if method not in allowed:
            self._extra_headers = {"Allow": ", ".join(sorted(allowed))}
            raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} is not allowed on {path}")
        if path == "/healthz":
            self._health()
        elif path.startswith(UNSUBSCRIBE_PREFIX):
            self._unsubscribe(method, unquote(path[len(UNSUBSCRIBE_PREFIX) :]))
        else:
            self._authorize()
            if path == "/metrics":
                text = self.server.handlers.metrics() + self.server.request_metrics()
                self._send(HTTPStatus.OK, text.encode(), "text/plain; version=0.0.4; charset=utf-8")
            elif path == "/v1/events":
                self._events()
            else:
                self._contacts()

    # -------------------------------------------------------------- endpoints
    def _health(self) -> None:
        try:
            body = dict(self.server.handlers.health())
        except Exception as exc:
            log.warning("health check failed: %s", exc)
            raise HttpError(HTTPStatus.SERVICE_UNAVAILABLE, {"status": "error"}) from None
        status = (
            HTTPStatus.OK if body.get("status", "ok") == "ok" else HTTPStatus.SERVICE_UNAVAILABLE
        )
        self._send_json(status, body)

    def _events(self) -> None:
        body = self._read_body()
        now = self.server.handlers.now()
        items = split_body(body, self.headers.get("Content-Type"), collection="events")
        events = parse_all(items, lambda obj: parse_event(obj, received_at=now))
        stored = self._call(self.server.handlers.ingest_events, events)
        fresh = sum(1 for ok in stored if ok)
        self._send_json(
            HTTPStatus.ACCEPTED,
            {"stored": fresh, "duplicates": len(events) - fresh, "ids": [e.id for e in events]},
        )

    def _contacts(self) -> None:
        body = self._read_body()
        items = split_body(body, self.headers.get("Content-Type"), collection="contacts")
        changes = parse_all(items, parse_contact)
        outcomes = self._call(self.server.handlers.change_contacts, changes)
        reply: dict[str, Any] = {"contacts": len(changes)}
        reply.update(Counter(outcomes))
        self._send_json(HTTPStatus.OK, reply)

    def _unsubscribe(self, method: str, token: str) -> None:
        secret = self.server.secret
        if secret is None:
            raise HttpError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"unsubscribe links are not configured ({SECRET_ENV} is not set)",
            )
        try:
            contact_id, journey_id = verify_unsubscribe_token(secret, token)
        except ValueError:
            self._send_page(HTTPStatus.NOT_FOUND, unsubscribe_page("invalid", token))
            return
        if method == "GET":  # link scanners fetch links: GET only asks for confirmation
            self._send_page(HTTPStatus.OK, unsubscribe_page("confirm", token))
            return
        self._read_body(limit=_SMALL_BODY, any_type=True)
        self._call(self.server.handlers.unsubscribe, contact_id, journey_id)
        self._send_page(HTTPStatus.OK, unsubscribe_page("done", token))

    # ------------------------------------------------------------- plumbing
    def _authorize(self) -> None:
        expected = self.server.token
        if expected is None:
            return
        header = self.headers.get("Authorization", "")
        given = header[len(_BEARER) :] if header.lower().startswith(_BEARER) else ""
        if not given:
            self._extra_headers = {"WWW-Authenticate": 'Bearer realm="journey"'}
            raise HttpError(HTTPStatus.UNAUTHORIZED, "missing bearer token")
        if not hmac.compare_digest(given.strip().encode(), expected.encode()):
            self._extra_headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            raise HttpError(HTTPStatus.UNAUTHORIZED, "invalid bearer token")

    def _read_body(self, *, limit: int | None = None, any_type: bool = False) -> bytes:
        limit = self.server.max_body_bytes if limit is None else limit
        length = self._content_length(limit)
        if not any_type and not is_supported(self.headers.get("Content-Type")):
            self._discard(length)
            raise HttpError(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                "send Content-Type: application/json or application/x-ndjson",
            )
        body = self.rfile.read(length)
        self._body_read = True
        if len(body) < length:
            self.close_connection = True
            raise HttpError(HTTPStatus.BAD_REQUEST, "the body ended before Content-Length")
        return body

    def _content_length(self, limit: int, *, discard: bool = True) -> int:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise HttpError(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length (no chunked bodies)")
        raw = self.headers.get("Content-Length")
        if raw is None:
            raise HttpError(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise HttpError(HTTPStatus.BAD_REQUEST, "Content-Length is not a number")
        if length > limit:
            if discard:
                self._discard(length)
            self.close_connection = True
            raise HttpError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                {"error": f"body of {length} bytes is over the limit", "max_bytes": limit},
            )
        return length

    def _discard(self, length: int) -> None:
        """Refuse a body without keeping it; the connection closes after the reply.

        A little is read and dropped so the client sees our answer instead of a
        reset; beyond `_DISCARD_LIMIT` it is cut off.
        """
        self.close_connection = True
        remaining = min(length, _DISCARD_LIMIT)
        try:
            while remaining > 0:
                chunk = self.rfile.read1(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError:
            pass

    def _call(self, callback: Callable[..., Any], *args: Any) -> Any:
        try:
            return callback(*args)
        except PayloadError:
            raise
        except JourneyError as exc:
            log.error("request not stored: %s", exc)
            raise HttpError(HTTPStatus.SERVICE_UNAVAILABLE, "not stored; try again") from None

    def handle_expect_100(self) -> bool:
        """Refuse an oversized or unauthorised body before the client sends it."""
        self._extra_headers = {}
        path = urlsplit(self.path).path
        try:
            if not path.startswith(UNSUBSCRIBE_PREFIX) and path != "/healthz":
                self._authorize()
            self._content_length(self.server.max_body_bytes, discard=False)
        except HttpError as exc:
            self.close_connection = True
            self._send_json(exc.status, exc.body)
            return False
        return super().handle_expect_100()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol errors found by http.server (bad request line, huge headers) as JSON too."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self._send_json(HTTPStatus(code), {"error": message or HTTPStatus(code).phrase})

    def _declared_length(self) -> int:
        headers = getattr(self, "headers", None)
        if headers is None:
            return 0
        if headers.get("Transfer-Encoding"):
            return -1
        try:
            return int(headers.get("Content-Length", "0"))
        except ValueError:
            return -1

    def _send_json(self, status: HTTPStatus, body: Mapping[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
        self._send(status, data, "application/json; charset=utf-8")

    def _send_page(self, status: HTTPStatus, html: str) -> None:
        self._send(status, html.encode("utf-8"), "text/html; charset=utf-8")

    def _send(self, status: HTTPStatus, data: bytes, content_type: str) -> None:
        # Counted before the reply leaves, so a client that reads /metrics next sees it.
        path = getattr(self, "path", "")
        self.server.count(_route_name(urlsplit(path).path) if path else "other", int(status))
        if not getattr(self, "_body_read", False) and self._declared_length() != 0:
            self.close_connection = True  # an unread body would be taken for the next request
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in getattr(self, "_extra_headers", {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


_ALLOWED: dict[str, frozenset[str]] = {
    "/healthz": frozenset({"GET"}),
    "/metrics": frozenset({"GET"}),
    "/v1/events": frozenset({"POST"}),
    "/v1/contacts": frozenset({"POST"}),
    "/v1/unsubscribe": frozenset({"GET", "POST"}),
}


def _route_name(path: str) -> str:
    """Metrics label: the route, never the token or anything else a client chose."""
    if path.startswith(UNSUBSCRIBE_PREFIX) and len(path) > len(UNSUBSCRIBE_PREFIX):
        return "/v1/unsubscribe"
    return path if path in _ALLOWED and path != "/v1/unsubscribe" else "other"


_PAGES = {
    "confirm": (
        "Unsubscribe?",
        "You will no longer receive these emails.",
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>',
    ),
    "done": ("You are unsubscribed", "You will not receive these emails any more.", ""),
    "invalid": (
        "This link does not work",
        "The unsubscribe link is incomplete or was changed. Copy the whole link from the email.",
        "",
    ),
}


def unsubscribe_page(kind: str, token: str) -> str:
    """A small page that works without JavaScript; the form posts back to the same URL."""
    title, text, form = _PAGES[kind]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>"
        '<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">'
        f"<h1>{title}</h1><p>{text}</p>{form}</body></html>"
    )

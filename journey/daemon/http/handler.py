"""One HTTP request: route it, bound and read its body, call the daemon, answer in JSON.

The handler parses and validates; it never stores anything itself. Every
error, including the protocol errors http.server finds, is a small JSON body.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from journey.daemon.http.auth import check_bearer
from journey.daemon.http.limits import MIN_BODY_RATE, DeadlineReader
from journey.daemon.http.routes import UNSUBSCRIBE_PREFIX, HttpError, allowed_methods, route_name
from journey.daemon.http.unsubscribe_page import unsubscribe_page
from journey.errors import JourneyError
from journey.ingest.payload import PayloadError, is_supported
from journey.ingest.replies import contacts_reply, events_reply
from journey.unsubscribe import SECRET_ENV, verify_unsubscribe_token

if TYPE_CHECKING:
    from journey.daemon.http.server import JourneyHTTPServer

log = logging.getLogger("journey.http")

_SMALL_BODY = 4096  # an RFC 8058 POST carries `List-Unsubscribe=One-Click`
_DISCARD_LIMIT = 1_048_576  # read and drop at most this much of a refused body


class _ClientGone(Exception):
    """The body stopped arriving (too slow, reset): the connection closes unanswered."""


class RequestHandler(BaseHTTPRequestHandler):
    server: JourneyHTTPServer
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "journey"

    def setup(self) -> None:
        super().setup()
        idle = self.server.request_timeout
        self.connection.settimeout(idle)  # a silent client is cut off after `idle`
        self.reader = DeadlineReader(self.connection, idle=idle)
        plain_reader, self.rfile = self.rfile, io.BufferedReader(self.reader)
        plain_reader.close()  # else the socket's file descriptor outlives the request

    def handle_one_request(self) -> None:
        """The request line and headers must arrive within the timeout of their first byte."""
        self.reader.start_request(self.server.request_timeout)
        super().handle_one_request()

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
            self._extra_headers.update(exc.headers)
            self._send_json(exc.status, exc.body)
        except PayloadError as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, exc.as_json())
        except _ClientGone as exc:
            log.debug("HTTP %s %s: client too slow or gone: %s", method, path, exc.__cause__)
            self.close_connection = True
        except Exception:  # a bug or a failing callback: log it, tell the client nothing more
            log.exception("HTTP %s %s failed", method, path)
            self._send_json(
                HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error; see the daemon's log"}
            )

    def _route(self, method: str, path: str) -> None:
        allowed = allowed_methods(path)
        if method not in allowed:
            raise HttpError(
                HTTPStatus.METHOD_NOT_ALLOWED,
                f"{method} is not allowed on {path}",
                headers={"Allow": ", ".join(sorted(allowed))},
            )
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
        handlers = self.server.handlers
        status, reply = events_reply(
            body,
            self.headers.get("Content-Type"),
            now=handlers.now(),
            ingest=lambda events: self._call(handlers.ingest_events, events),
        )
        self._send_json(HTTPStatus(status), reply)

    def _contacts(self) -> None:
        body = self._read_body()
        handlers = self.server.handlers
        status, reply = contacts_reply(
            body,
            self.headers.get("Content-Type"),
            change=lambda changes: self._call(handlers.change_contacts, changes),
        )
        self._send_json(HTTPStatus(status), reply)

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
        check_bearer(self.headers.get("Authorization", ""), self.server.token)

    def _read_body(self, *, limit: int | None = None, any_type: bool = False) -> bytes:
        limit = self.server.max_body_bytes if limit is None else limit
        length = self._content_length(limit)
        if not any_type and not is_supported(self.headers.get("Content-Type")):
            self._discard(length)
            raise HttpError(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                "send Content-Type: application/json or application/x-ndjson",
            )
        self.reader.allow(self.server.request_timeout + length / MIN_BODY_RATE)
        try:
            body = self.rfile.read(length)
        except OSError as exc:  # TimeoutError included: no one left to answer
            raise _ClientGone() from exc
        self.reader.stop()
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
        self.reader.allow(self.server.request_timeout + remaining / MIN_BODY_RATE)
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
            self._extra_headers.update(exc.headers)
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
        self.server.count(route_name(urlsplit(path).path) if path else "other", int(status))
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

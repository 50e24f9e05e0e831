"""One HTTP request on a worker: route it, bound and read its body, call the daemon, answer in JSON.

The handler parses and validates; it never stores anything itself. Framing
and the socket are exchange.py's; what gets a worker at all is server.py's.
Every error is a small JSON body; a traceback never leaves the process.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from journey.daemon.http.exchange import ClientGone, Exchange
from journey.daemon.http.limits import RETRY_AFTER_SECONDS
from journey.daemon.http.routes import UNSUBSCRIBE_PREFIX, HttpError, route_name
from journey.daemon.http.unsubscribe_page import ENGLISH, PageLanguage, unsubscribe_page
from journey.errors import JourneyError
from journey.ingest.payload import PayloadError, is_supported
from journey.ingest.replies import contacts_reply, events_reply
from journey.store.url import environment_errors
from journey.unsubscribe import SECRET_ENV, verify_with_any

if TYPE_CHECKING:
    from journey.daemon.http.server import JourneyHTTPServer

log = logging.getLogger("journey.http")

_SMALL_BODY = 4096  # an RFC 8058 POST carries `List-Unsubscribe=One-Click`
_RETRY = {"Retry-After": str(RETRY_AFTER_SECONDS)}
# The store cannot take the request now (SQLite locked or full, PostgreSQL away or
# restarting): 503 with Retry-After, never 500. JourneyError covers StoreUnavailable.
_NOT_NOW: tuple[type[BaseException], ...] = (JourneyError, *environment_errors())


class RequestHandler:
    """Serves one request whose head passed the loop's checks (and the token check, if needed)."""

    def __init__(self, exchange: Exchange, server: JourneyHTTPServer) -> None:
        self.exchange = exchange
        self.server = server
        self.headers = exchange.headers
        self.path = urlsplit(exchange.target).path
        self._extra_headers: dict[str, str] = {}

    def handle(self) -> None:
        method, path = self.exchange.method, self.path
        try:
            self._route(method, path)
        except HttpError as exc:
            self._extra_headers.update(exc.headers)
            self._send_json(exc.status, exc.body)
        except PayloadError as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, exc.as_json())
        except ClientGone:
            raise  # nobody to answer: the connection just closes
        except RecursionError:  # a record nested beyond what the decoder or the store manage
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "the JSON is nested too deeply"})
        except Exception:  # a bug or a failing callback: log it, tell the client nothing more
            log.exception("HTTP %s %s failed", method, path)
            self._send_json(
                HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error; see the daemon's log"}
            )

    def _route(self, method: str, path: str) -> None:
        if path == "/healthz":
            self._health()
        elif path.startswith(UNSUBSCRIBE_PREFIX):
            self._unsubscribe(method, unquote(path[len(UNSUBSCRIBE_PREFIX) :]))
        elif path == "/metrics":
            text = self._call(self.server.handlers.metrics) + self.server.request_metrics()
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
            self.headers.get("content-type"),
            now=handlers.now(),
            ingest=lambda events: self._call(handlers.ingest_events, events),
        )
        self._send_json(HTTPStatus(status), reply)

    def _contacts(self) -> None:
        body = self._read_body()
        handlers = self.server.handlers
        status, reply = contacts_reply(
            body,
            self.headers.get("content-type"),
            change=lambda changes: self._call(handlers.change_contacts, changes),
        )
        self._send_json(HTTPStatus(status), reply)

    def _unsubscribe(self, method: str, token: str) -> None:
        handlers = self.server.handlers
        if handlers.unsubscribe_keys is not None:
            keys = list(self._call(handlers.unsubscribe_keys))
        else:
            keys = [self.server.secret] if self.server.secret else []
        if not keys:
            raise HttpError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"unsubscribe links are not configured ({SECRET_ENV} is not set)",
            )
        try:
            contact_id, journey_id = verify_with_any(keys, token)
        except ValueError:
            language = self._language("", "")
            self._send_page(HTTPStatus.NOT_FOUND, unsubscribe_page("invalid", token, language))
            return
        language = self._language(contact_id, journey_id)
        if method == "GET":  # link scanners fetch links: GET only asks for confirmation
            self._send_page(HTTPStatus.OK, unsubscribe_page("confirm", token, language))
            return
        self._read_body(limit=_SMALL_BODY, any_type=True)
        self._call(handlers.unsubscribe, contact_id, journey_id)
        self._send_page(HTTPStatus.OK, unsubscribe_page("done", token, language))

    def _language(self, contact_id: str, journey_id: str) -> PageLanguage:
        """The page's language; English when it cannot be told (it is only a page)."""
        choose = self.server.handlers.unsubscribe_language
        if choose is None:
            return ENGLISH
        try:
            return choose(contact_id, journey_id, self.headers.get("accept-language"))
        except Exception as exc:
            log.warning("unsubscribe page language: %s", exc)
            return ENGLISH

    # ------------------------------------------------------------- plumbing
    def _read_body(self, *, limit: int | None = None, any_type: bool = False) -> bytes:
        limit = self.server.max_body_bytes if limit is None else limit
        self.exchange.declared_length(limit)  # 411 / 413 before a byte of the body is read
        if not any_type and not is_supported(self.headers.get("content-type")):
            raise HttpError(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                "send Content-Type: application/json or application/x-ndjson",
            )
        return self.exchange.read_body(limit)

    def _call(self, callback: Callable[..., Any], *args: Any) -> Any:
        """Run a daemon callback; a store that cannot take the request now is 503, retry in 1 s."""
        try:
            return callback(*args)
        except PayloadError:
            raise
        except _NOT_NOW as exc:
            log.error("request not stored: %s", exc)
            raise HttpError(
                HTTPStatus.SERVICE_UNAVAILABLE, "not stored; try again", headers=_RETRY
            ) from None

    def _send_json(self, status: HTTPStatus, body: Mapping[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
        self._send(status, data, "application/json; charset=utf-8")

    def _send_page(self, status: HTTPStatus, html: str) -> None:
        self._send(status, html.encode("utf-8"), "text/html; charset=utf-8")

    def _send(self, status: HTTPStatus, data: bytes, content_type: str) -> None:
        # Counted before the reply leaves, so a client that reads /metrics next sees it.
        self.server.count(route_name(self.path), int(status))
        if status == HTTPStatus.SERVICE_UNAVAILABLE:
            self._extra_headers.update(_RETRY)
        self.exchange.respond(status, data, content_type, self._extra_headers)


def serve(exchange: Exchange, server: JourneyHTTPServer) -> bool:
    """Handle one request; True when the connection may carry another."""
    try:
        RequestHandler(exchange, server).handle()
    except ClientGone as exc:
        log.debug("HTTP %s: client too slow or gone: %s", exchange.target, exc)
        return False
    return exchange.reusable()

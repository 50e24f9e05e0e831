"""One HTTP request on a worker: route it, bound and read its body, call the daemon, answer in JSON.

The handler parses and validates; it never stores anything itself. Framing
and the socket are exchange.py's; what gets a worker at all is server.py's.
Every error is a small JSON body; a traceback never leaves the process.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from journey.daemon.http.exchange import ClientGone, Exchange
from journey.daemon.http.limits import RETRY_AFTER_SECONDS
from journey.daemon.http.preferences_page import (
    LEFT_ALL,
    LEFT_TOPIC,
    SAVED,
    FormChoice,
    TopicChoice,
    parse_form,
    preferences_page,
)
from journey.daemon.http.routes import TRACK_PREFIX, UNSUBSCRIBE_PREFIX, HttpError, route_name
from journey.daemon.http.tracking_endpoint import track_reply
from journey.daemon.http.unsubscribe_page import ENGLISH, PageLanguage, unsubscribe_page
from journey.errors import JourneyError
from journey.ingest.payload import PayloadError, is_supported
from journey.ingest.replies import contacts_reply, events_reply
from journey.store.url import environment_errors
from journey.unsubscribe import SECRET_ENV, split_topic, verify_with_any

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
        elif path.startswith(TRACK_PREFIX):
            self._track(method, path[len(TRACK_PREFIX) :])
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
            check=handlers.check_event,
        )
        self._send_json(HTTPStatus(status), reply)

    def _contacts(self) -> None:
        body = self._read_body()
        handlers = self.server.handlers
        status, reply = contacts_reply(
            body,
            self.headers.get("content-type"),
            change=lambda changes: self._call(handlers.change_contacts, changes),
            check=handlers.check_contact,
        )
        self._send_json(HTTPStatus(status), reply)

    def _unsubscribe(self, method: str, token: str) -> None:
        handlers = self.server.handlers
        keys = self._keys()
        if not keys:
            raise HttpError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"unsubscribe links are not configured ({SECRET_ENV} is not set)",
            )
        try:
            contact_id, scope = verify_with_any(keys, token)
        except ValueError:
            language = self._language("", "")
            self._send_page(HTTPStatus.NOT_FOUND, unsubscribe_page("invalid", token, language))
            return
        journey_id, topic = split_topic(scope)
        language = self._language(contact_id, journey_id)
        topics = (
            self._call(handlers.preference_topics, contact_id) if handlers.preference_topics else ()
        )
        if method == "GET":  # link scanners fetch links: GET only asks for confirmation
            page = preferences_page(topics, language) if topics else None
            self._send_page(HTTPStatus.OK, page or unsubscribe_page("confirm", token, language))
            return
        form = parse_form(self._read_body(limit=_SMALL_BODY, any_type=True))
        if (
            topics
            and handlers.set_preferences is not None
            and (topic or form.action != "one_click")
        ):
            self._preferences(contact_id, journey_id, topic, topics, form, language)
            return
        self._call(handlers.unsubscribe, contact_id, journey_id)
        self._send_page(HTTPStatus.OK, unsubscribe_page("done", token, language))

    def _track(self, method: str, token: str) -> None:
        handlers = self.server.handlers
        keys = self._keys() if handlers.track is not None else []
        user_agent = self.headers.get("user-agent", "")
        reply = track_reply(token, method, user_agent, keys, handlers.track)
        self._extra_headers.update(reply.headers)
        body = b"" if method == "HEAD" else reply.body  # HEAD: the headers only
        self._send(reply.status, body, reply.content_type)

    def _keys(self) -> list[bytes]:
        """The store's key ring when the daemon has one, else JOURNEY_SECRET."""
        handlers = self.server.handlers
        if handlers.unsubscribe_keys is not None:
            return list(self._call(handlers.unsubscribe_keys))
        return [self.server.secret] if self.server.secret else []

    def _preferences(
        self,
        contact_id: str,
        journey_id: str,
        topic: str,
        topics: Sequence[TopicChoice],
        form: FormChoice,
        language: PageLanguage,
    ) -> None:
        """A choice on the preference centre, or one-click on a topic's link."""
        assert self.server.handlers.set_preferences is not None
        if form.action == "save":
            choices = {t.name: t.name in form.ticked for t in topics}
            note = SAVED
        elif form.action == "everything":
            choices, note = {}, LEFT_ALL
        else:
            choices, note = {topic: False}, LEFT_TOPIC
        everything = form.action == "everything"
        self._call(
            self.server.handlers.set_preferences, contact_id, journey_id, choices, everything
        )
        shown = [
            TopicChoice(t.name, t.title, False if everything else choices.get(t.name, t.subscribed))
            for t in topics
        ]
        self._send_page(HTTPStatus.OK, preferences_page(shown, language, note))

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

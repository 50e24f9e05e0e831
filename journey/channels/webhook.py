"""HTTP delivery: webhook steps, and messages handed to an HTTP provider as JSON.

Every request carries ``Idempotency-Key: <delivery key>`` so a receiver can
drop the one duplicate a crash or a lost answer can cause. Redirects are not
followed (a POST that turns into a GET loses its body); a redirect is a
permanent failure that tells the operator to configure the final URL. Each call
is one exchange under a total ``deadline`` (connect, TLS, request, answer and
its body); an answer lost after the whole request went out raises
:class:`~journey.errors.UnknownOutcome`.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from http.client import HTTPException
from typing import Any
from urllib.parse import SplitResult, urlsplit

from journey.channels.base import (
    Deferred,
    DeliveryReceipt,
    SettingError,
    WebhookRequest,
    check_known_settings,
    classify_http_status,
    setting_number,
    setting_str,
)
from journey.channels.checks import header_problem
from journey.channels.exchange import DEFAULT_DEADLINE_SECONDS, Exchange, Exchanges
from journey.channels.outbox import message_record
from journey.channels.retry import parse_retry_after
from journey.clock import Clock, SystemClock
from journey.errors import DeliveryError, UnknownOutcome
from journey.model import Message

log = logging.getLogger(__name__)

KNOWN_SETTINGS = {"url", "headers", "timeout", "deadline", "max_response_bytes"}
USER_AGENT = "journey-webhook/0.1"
_DETAIL_CHARS = 200
# Statuses whose Retry-After says when to come back (RFC 9110 10.2.3, RFC 6585 4).
RETRY_AFTER_STATUSES = frozenset({429, 503})

_SYSTEM_CLOCK = SystemClock()


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSettings:
    url: str | None = None  # base URL; a step's path is joined to it
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # may hold secrets
    timeout: float = 10.0  # each step: connect, send, the answer
    deadline: float = DEFAULT_DEADLINE_SECONDS  # the whole call
    max_response_bytes: int = 65536


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: bytes
    retry_after: str | None


class WebhookChannel:
    """POSTs JSON; safe across threads (each call is its own HTTP connection)."""

    def __init__(
        self, *, name: str, settings: WebhookSettings, clock: Clock = _SYSTEM_CLOCK
    ) -> None:
        self._name = name
        self.settings = settings
        self._clock = clock
        self._exchanges = Exchanges()

    @property
    def name(self) -> str:
        return self._name

    def call_webhook(self, request: WebhookRequest) -> DeliveryReceipt:
        url = self._target(request.url, request.path)
        headers = {
            "X-Journey-Id": request.journey_id,
            "X-Journey-Step": request.step_id,
            **request.headers,
        }
        return self._post(url, request.body, request.delivery_key, headers)

    def deliver(self, message: Message) -> DeliveryReceipt:
        url = self._target(None, None)
        body = message_record(message, written_at=self._clock.now().isoformat())
        headers = {"X-Journey-Id": message.journey_id, "X-Journey-Step": message.step_id}
        return self._post(url, body, message.delivery_key, headers)

    def close(self) -> None:
        """Nothing is held open between calls."""

    def abort(self) -> None:
        """The daemon is stopping: cut the calls in flight, refuse new ones (thread-safe)."""
        self._exchanges.abort_all()

    # ------------------------------------------------------------------ internals

    def _target(self, url: str | None, path: str | None) -> str:
        if url is None:
            if not self.settings.url:
                raise DeliveryError(f"channel '{self._name}' has no url", permanent=True)
            url = join_url(self.settings.url, path)
        if urlsplit(url).scheme not in ("http", "https"):
            raise DeliveryError(f"webhook URL must be http or https: {url!r}", permanent=True)
        return url

    def _post(self, url: str, body: Any, key: str, extra: Mapping[str, str]) -> DeliveryReceipt:
        try:
            data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise DeliveryError(f"webhook body is not JSON: {exc}", permanent=True) from exc
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            **self.settings.headers,
            **extra,
            "Idempotency-Key": key,
        }
        for name, value in headers.items():
            problem = header_problem(name, value)  # CR/LF would inject headers: refuse this one
            if problem:
                raise DeliveryError(f"webhook request refused: {problem}", permanent=True)
        now = self._clock.now()
        answer = self._exchange(url, data, headers)
        retry_after = None
        if answer.status in RETRY_AFTER_STATUSES:
            retry_after = parse_retry_after(answer.retry_after, self._clock.now())
        if classify_http_status(answer.status) != "ok":
            raise _status_error(answer.status, answer.body, retry_after)
        return DeliveryReceipt(
            message_id=key,
            accepted_at=now,
            provider_id=_provider_id(answer.body),
            detail=f"HTTP {answer.status}",
        )

    def _exchange(self, url: str, data: bytes, headers: Mapping[str, str]) -> _Answer:
        s = self.settings
        with self._exchanges.begin(s.deadline, step_timeout=s.timeout) as exchange:
            try:
                conn = _connection(urlsplit(url), exchange)
            except (ValueError, HTTPException) as exc:  # a port that is not a number
                raise DeliveryError(f"bad webhook URL {url!r}: {exc}", permanent=True) from exc
            try:
                conn.timeout = exchange.step()
                conn.connect()
                exchange.step(conn.sock)
                conn.request("POST", _selector(urlsplit(url)), body=data, headers=dict(headers))
                exchange.handed_over = True
                exchange.step(conn.sock)
                response = conn.getresponse()
                exchange.step(conn.sock)
                body = self._read_bounded(response)
                return _Answer(response.status, body, response.getheader("Retry-After"))
            except ValueError as exc:  # a header or URL http.client will not write
                raise DeliveryError(f"bad webhook request: {exc}", permanent=True) from exc
            except (OSError, HTTPException, DeliveryError) as exc:
                raise _transport_error(exc, exchange) from exc
            finally:
                conn.close()

    def _read_bounded(self, response: Any) -> bytes:
        """Read at most ``max_response_bytes``: a chatty receiver must not exhaust memory."""
        try:
            data: bytes = response.read(self.settings.max_response_bytes)
        except (OSError, HTTPException):
            return b""  # the status already decided the outcome
        return data


def join_url(base: str, path: str | None) -> str:
    """``https://h/api`` + ``/hooks/x`` -> ``https://h/api/hooks/x`` (never drops the base path)."""
    if not path:
        return base
    if urlsplit(path).scheme:
        raise DeliveryError(f"webhook path must be a path, not a URL: {path!r}", permanent=True)
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


def _status_error(status: int, reply: bytes, retry_after: timedelta | None = None) -> DeliveryError:
    snippet = reply[:_DETAIL_CHARS].decode("utf-8", "replace").strip()
    outcome = classify_http_status(status)
    suffix = f": {snippet}" if snippet else ""
    if 300 <= status < 400:
        suffix = " (redirects are not followed; configure the final URL)"
    if retry_after is not None:
        suffix += f" (Retry-After: {retry_after.total_seconds():g} s)"
    return DeliveryError(
        f"webhook answered HTTP {status}{suffix}",
        permanent=outcome != "transient",
        retry_after=retry_after,
    )


def _transport_error(exc: BaseException, exchange: Exchange) -> DeliveryError:
    if exchange.handed_over:
        why = "deadline passed" if exchange.aborted == "deadline" else _reason(exc)
        return UnknownOutcome(
            f"webhook had the whole request but its answer never came ({why}); outcome unknown"
        )
    if exchange.aborted is not None:
        return exchange.failure("webhook")
    if isinstance(exc, DeliveryError):
        return exc
    # Refused, reset, DNS, TLS: the receiver or the network may recover.
    return DeliveryError(f"webhook unreachable: {_reason(exc)}", permanent=False)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


def _connection(parts: SplitResult, exchange: Exchange) -> http.client.HTTPConnection:
    """A connection whose socket the exchange's watchdog can shut down (via a dup of its fd)."""
    netloc = parts.netloc.rpartition("@")[2]
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(netloc, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(netloc)
    handles: list[socket.socket] = []

    def create(address: tuple[str, int], timeout: float, source: Any = None) -> socket.socket:
        sock = socket.create_connection(address, exchange.step(), source)
        handles.append(sock.dup())
        return sock

    conn._create_connection = create  # type: ignore[attr-defined]  # http.client's own hook
    exchange.watch(lambda: handles[0] if handles else None)
    original_close = conn.close

    def close() -> None:
        original_close()
        while handles:
            handles.pop().close()

    conn.close = close  # type: ignore[method-assign]
    return conn


def _selector(parts: SplitResult) -> str:
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def _provider_id(reply: bytes) -> str | None:
    try:
        parsed = json.loads(reply)
    except ValueError:
        return None
    if isinstance(parsed, dict) and isinstance(parsed.get("id"), str | int):
        return str(parsed["id"])
    return None


def build_webhook(
    name: str, settings: Mapping[str, Any], *, clock: Clock = _SYSTEM_CLOCK
) -> WebhookChannel:
    check_known_settings(name, "webhook", settings, KNOWN_SETTINGS)
    url = setting_str(name, settings, "url")
    if url is not None and not isinstance(url, Deferred) and not _is_http(url):
        raise SettingError(
            name, "url", "setting 'url' must be an http:// or https:// address with a host"
        )
    headers = settings.get("headers", {})
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise SettingError(name, "headers", "setting 'headers' must map names to strings")
    return WebhookChannel(
        name=name,
        settings=WebhookSettings(
            url=url,
            headers=dict(headers),
            timeout=setting_number(name, settings, "timeout", 10.0),
            deadline=setting_number(name, settings, "deadline", DEFAULT_DEADLINE_SECONDS),
            max_response_bytes=int(setting_number(name, settings, "max_response_bytes", 65536)),
        ),
        clock=clock,
    )


def _is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def direct_webhook(*, timeout: float = 10.0, clock: Clock = _SYSTEM_CLOCK) -> WebhookChannel:
    """For webhook steps that give ``url:`` instead of a channel (nothing secret to hold)."""
    return WebhookChannel(name="(url)", settings=WebhookSettings(timeout=timeout), clock=clock)

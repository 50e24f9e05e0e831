"""HTTP delivery: webhook steps, and messages handed to an HTTP provider as JSON.

Every request carries ``Idempotency-Key: <delivery key>`` so a receiver can
drop the one duplicate a crash can cause. Redirects are not followed (a POST
that turns into a GET loses its body); a redirect is a permanent failure that
tells the operator to configure the final URL.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from http.client import HTTPException
from typing import Any
from urllib.parse import urlsplit

from journey.channels.base import (
    DeliveryReceipt,
    WebhookRequest,
    check_known_settings,
    classify_http_status,
    setting_number,
    setting_str,
)
from journey.channels.checks import header_problem
from journey.channels.outbox import message_record
from journey.channels.retry import parse_retry_after
from journey.clock import Clock, SystemClock
from journey.errors import DeliveryError, JourneyError
from journey.model import Message

log = logging.getLogger(__name__)

KNOWN_SETTINGS = {"url", "headers", "timeout", "max_response_bytes"}
USER_AGENT = "journey-webhook/0.1"
_DETAIL_CHARS = 200
# Statuses whose Retry-After says when to come back (RFC 9110 10.2.3, RFC 6585 4).
RETRY_AFTER_STATUSES = frozenset({429, 503})

_SYSTEM_CLOCK = SystemClock()


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSettings:
    url: str | None = None  # base URL; a step's path is joined to it
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # may hold secrets
    timeout: float = 10.0
    max_response_bytes: int = 65536


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


class WebhookChannel:
    """POSTs JSON; safe across threads (each call is its own HTTP connection)."""

    def __init__(
        self, *, name: str, settings: WebhookSettings, clock: Clock = _SYSTEM_CLOCK
    ) -> None:
        self._name = name
        self.settings = settings
        self._clock = clock
        self._opener = urllib.request.build_opener(_NoRedirect)

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
        try:
            request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        except ValueError as exc:
            raise DeliveryError(f"bad webhook URL {url!r}: {exc}", permanent=True) from exc
        now = self._clock.now()
        try:
            with self._opener.open(request, timeout=self.settings.timeout) as response:
                status = response.status
                reply = self._read_bounded(response)
        except urllib.error.HTTPError as exc:
            with exc:
                retry_after = self._retry_after(exc)
                raise _status_error(exc.code, self._read_bounded(exc), retry_after) from None
        except (urllib.error.URLError, OSError, HTTPException) as exc:
            raise _transport_error(exc) from exc
        if classify_http_status(status) != "ok":  # 1xx never lands here; be explicit anyway
            raise _status_error(status, reply)
        return DeliveryReceipt(
            message_id=key,
            accepted_at=now,
            provider_id=_provider_id(reply),
            detail=f"HTTP {status}",
        )

    def _retry_after(self, error: urllib.error.HTTPError) -> timedelta | None:
        """How long a busy receiver (429, 503) asked us to wait, if it said."""
        if error.code not in RETRY_AFTER_STATUSES or error.headers is None:
            return None
        return parse_retry_after(error.headers.get("Retry-After"), self._clock.now())

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


def _transport_error(exc: BaseException) -> DeliveryError:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return DeliveryError("webhook timed out", permanent=False)
    # Refused, reset, DNS, TLS: the receiver or the network may recover.
    return DeliveryError(f"webhook unreachable: {reason}", permanent=False)


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
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise JourneyError(f"channel '{name}': setting 'url' must start with http:// or https://")
    headers = settings.get("headers", {})
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise JourneyError(f"channel '{name}': setting 'headers' must map names to strings")
    return WebhookChannel(
        name=name,
        settings=WebhookSettings(
            url=url,
            headers=dict(headers),
            timeout=setting_number(name, settings, "timeout", 10.0),
            max_response_bytes=int(setting_number(name, settings, "max_response_bytes", 65536)),
        ),
        clock=clock,
    )


def direct_webhook(*, timeout: float = 10.0, clock: Clock = _SYSTEM_CLOCK) -> WebhookChannel:
    """For webhook steps that give ``url:`` instead of a channel (nothing secret to hold)."""
    return WebhookChannel(name="(url)", settings=WebhookSettings(timeout=timeout), clock=clock)

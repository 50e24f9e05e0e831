"""What the HTTP API answers to: the route table, the metrics label, and HttpError."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

UNSUBSCRIBE_PREFIX = "/v1/unsubscribe/"
TRACK_PREFIX = "/v1/t/"  # tracked links and the open pixel (journey.tracking)

ALLOWED: dict[str, frozenset[str]] = {
    "/healthz": frozenset({"GET"}),
    "/metrics": frozenset({"GET"}),
    "/v1/events": frozenset({"POST"}),
    "/v1/contacts": frozenset({"POST"}),
    "/v1/unsubscribe": frozenset({"GET", "POST"}),
    "/v1/t": frozenset({"GET", "HEAD"}),
}
PUBLIC_ROUTES = frozenset({"/healthz", "/v1/unsubscribe", "/v1/t"})  # no bearer token asked
_PREFIXED = {UNSUBSCRIBE_PREFIX: "/v1/unsubscribe", TRACK_PREFIX: "/v1/t"}


class HttpError(Exception):
    """Ends a request with `status`, a JSON body and headers; raised inside the handler only."""

    def __init__(
        self,
        status: HTTPStatus,
        body: Mapping[str, Any] | str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(body if isinstance(body, str) else body.get("error", ""))
        self.status = status
        self.body: dict[str, Any] = {"error": body} if isinstance(body, str) else dict(body)
        self.headers: dict[str, str] = dict(headers or {})


def route_name(path: str) -> str:
    """Metrics label: the route, never the token or anything else a client chose."""
    for prefix, route in _PREFIXED.items():
        if path.startswith(prefix) and len(path) > len(prefix):
            return route
    return path if path in ALLOWED and path not in _PREFIXED.values() else "other"


def allowed_methods(path: str) -> frozenset[str]:
    """The methods `path` answers to; HttpError 404 or nothing else to say."""
    allowed = ALLOWED.get(route_name(path))
    if allowed is None:
        raise HttpError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")
    return allowed

"""What the HTTP API answers to: the route table, the metrics label, and HttpError."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

UNSUBSCRIBE_PREFIX = "/v1/unsubscribe/"

ALLOWED: dict[str, frozenset[str]] = {
    "/healthz": frozenset({"GET"}),
    "/metrics": frozenset({"GET"}),
    "/v1/events": frozenset({"POST"}),
    "/v1/contacts": frozenset({"POST"}),
    "/v1/unsubscribe": frozenset({"GET", "POST"}),
}
PUBLIC_ROUTES = frozenset({"/healthz", "/v1/unsubscribe"})  # no bearer token asked


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
    if path.startswith(UNSUBSCRIBE_PREFIX) and len(path) > len(UNSUBSCRIBE_PREFIX):
        return "/v1/unsubscribe"
    return path if path in ALLOWED and path != "/v1/unsubscribe" else "other"


def allowed_methods(path: str) -> frozenset[str]:
    """The methods `path` answers to; HttpError 404 or nothing else to say."""
    allowed = ALLOWED.get(route_name(path))
    if allowed is None:
        raise HttpError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")
    return allowed

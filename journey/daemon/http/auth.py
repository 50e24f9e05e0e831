"""Bearer-token check for every endpoint but `/healthz` and the unsubscribe page."""

from __future__ import annotations

import hmac
from http import HTTPStatus

from journey.daemon.http.routes import HttpError

_BEARER = "bearer "


def check_bearer(authorization: str, expected: str | None) -> None:
    """Raise HttpError 401 unless the `Authorization` header carries `expected`.

    No expected token (tests and `allow_no_token`) lets every request in. The
    comparison takes the same time whatever the guess, so the token cannot be
    found a byte at a time.
    """
    if expected is None:
        return
    given = authorization[len(_BEARER) :] if authorization.lower().startswith(_BEARER) else ""
    if not given:
        raise HttpError(
            HTTPStatus.UNAUTHORIZED,
            "missing bearer token",
            headers={"WWW-Authenticate": 'Bearer realm="journey"'},
        )
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise HttpError(
            HTTPStatus.UNAUTHORIZED,
            "invalid bearer token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

"""The bearer token: checked on every endpoint but `/healthz` and unsubscribe; strong at start."""

from __future__ import annotations

import hmac
import math
from collections import Counter
from http import HTTPStatus

from journey.daemon.http.routes import HttpError
from journey.errors import JourneyError

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


MIN_TOKEN_LENGTH = 32
MIN_TOKEN_BITS = 80  # of the characters' spread; a random 128-bit hex token has 90 or more
MAKE_TOKEN = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def check_token_strength(token: str, env_name: str) -> None:
    """Refuse a token that can be guessed: JourneyError with one line saying how to make one.

    Strong means at least 32 characters, not one piece repeated (`passwordpassword…`),
    and at least 80 bits by the spread of its characters (`aaaa…` has 0).
    """
    if len(token) < MIN_TOKEN_LENGTH:
        why = f"is {len(token)} characters long (at least {MIN_TOKEN_LENGTH} are needed)"
    elif (token + token).find(token, 1) < len(token):
        why = "repeats a shorter piece"
    elif spread_bits(token) < MIN_TOKEN_BITS:
        why = "uses too few different characters"
    else:
        return
    raise JourneyError(f"the bearer token in {env_name} is weak: it {why}; make one: {MAKE_TOKEN}")


def spread_bits(text: str) -> float:
    """Shannon entropy of the characters' frequencies times the length, in bits."""
    counts = Counter(text)
    return -sum(n * math.log2(n / len(text)) for n in counts.values())

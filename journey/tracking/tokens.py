"""The token in a tracked URL: which message (delivery key) and which of its links.

Signed with the store's unsubscribe key ring (journey.daemon.secret) under its
own purpose, so a token never passes for an unsubscribe link or the reverse,
and `journey secret rotate` rotates both. The token never carries the target
URL: the target is read from the stored message, so the endpoint cannot be
made to redirect anywhere else (no open redirect).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

_PURPOSE = b"journey-track-v1\x00"
_SEPARATOR = "\x1f"
_MAC_BYTES = 16  # 128 bits: a forgery is a 2**-128 guess; the URL stays short for SMS
OPEN = -1  # the link index of the open pixel
MAX_TOKEN_CHARS = 512  # longer is refused before any decoding or key is touched
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
_MAX_LINKS = 10_000


class BadToken(ValueError):
    """Forged, truncated, oversized or otherwise mangled."""


@dataclass(frozen=True, slots=True)
class TrackedHit:
    delivery_key: str
    index: int  # OPEN, or the link's position in the message's `tracked_links`

    @property
    def is_open(self) -> bool:
        return self.index == OPEN


def make_tracking_token(key: bytes, delivery_key: str, index: int) -> str:
    """``payload.mac``, urlsafe base64 without padding."""
    if not key:
        raise ValueError("the tracking key is empty")
    if not delivery_key or _SEPARATOR in delivery_key or not OPEN <= index < _MAX_LINKS:
        raise ValueError("a tracked link needs a delivery key and a link index")
    payload = f"{delivery_key}{_SEPARATOR}{index}".encode()
    return f"{_encode(payload)}.{_encode(_mac(key, payload))}"


def verify_tracking_token(keys: Sequence[bytes], token: str) -> TrackedHit:
    """The hit the token names if one of `keys` signed it; BadToken for anything else."""
    if len(token) > MAX_TOKEN_CHARS:
        raise BadToken("tracking token too long")
    encoded_payload, dot, encoded_mac = token.partition(".")
    if not dot:
        raise BadToken("malformed tracking token")
    payload, given = _decode(encoded_payload), _decode(encoded_mac)
    if not any(k and hmac.compare_digest(given, _mac(k, payload)) for k in keys):
        raise BadToken("tracking token signature does not match")
    try:
        delivery_key, separator, index = payload.decode("utf-8").rpartition(_SEPARATOR)
        number = int(index)
    except (UnicodeDecodeError, ValueError):
        raise BadToken("malformed tracking token") from None
    if not separator or not delivery_key or not OPEN <= number < _MAX_LINKS:
        raise BadToken("malformed tracking token")
    return TrackedHit(delivery_key=delivery_key, index=number)


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, _PURPOSE + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    """Strict: only the canonical spelling of some bytes (no foreign characters, no spare bits)."""
    if not _ALPHABET.fullmatch(text):
        raise BadToken("malformed tracking token")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadToken("malformed tracking token") from None
    if _encode(data) != text:
        raise BadToken("malformed tracking token")
    return data

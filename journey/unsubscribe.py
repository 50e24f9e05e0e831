"""One-click unsubscribe tokens (RFC 8058) for `/v1/unsubscribe/{token}`.

A token names the contact and the journey and carries an HMAC-SHA256 over both,
keyed with the store's own key (table `unsubscribe_keys`, made with the store):
the daemon can honour it without a lookup table, and nobody can unsubscribe
someone else by editing the URL. `journey secret rotate` starts a new key; the
previous one keeps verifying for `ROTATION_OVERLAP`, so links already sent
keep working. Which keys sign and verify is journey.daemon.secret's answer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

SECRET_ENV = "JOURNEY_SECRET"  # before per-store keys: still accepted, never used to sign
# How long a rotated-out key keeps verifying: above the 30 days CAN-SPAM asks an
# unsubscribe mechanism to work after a send, with room for late readers.
ROTATION_OVERLAP = timedelta(days=90)
_SEPARATOR = "\x1f"
# Domain separation: the same secret may sign other things later.
_PURPOSE = b"journey-unsubscribe-v1\x00"
_MAC_BYTES = 32
_B64_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The key that signs new links and every key whose links are still honoured."""

    current: bytes = field(repr=False)
    accepted: tuple[bytes, ...] = field(default=(), repr=False)  # current first

    def verify(self, token: str) -> tuple[str, str]:
        """``(contact_id, journey_id)`` if any accepted key signed it; else ValueError."""
        return verify_with_any(self.accepted or (self.current,), token)


def verify_with_any(keys: Sequence[bytes], token: str) -> tuple[str, str]:
    """Try each key (a handful at most); ValueError when none signed the token."""
    problem = "no unsubscribe key"
    for key in keys:
        try:
            return verify_unsubscribe_token(key, token)
        except ValueError as exc:
            if "signature" not in str(exc):
                raise  # mangled, not merely signed by another key
            problem = str(exc)
    raise ValueError(problem)


def make_unsubscribe_token(secret: bytes, contact_id: str, journey_id: str, topic: str = "") -> str:
    """``payload.mac``, both urlsafe base64 without padding.

    A link for a send with a subscription topic names the topic too (after
    the journey, behind a second separator): one-click on it leaves that topic.
    """
    if not secret:
        raise ValueError("the unsubscribe secret is empty")
    if not contact_id or _SEPARATOR in f"{contact_id}{journey_id}{topic}":
        raise ValueError("contact and journey ids must be non-empty and free of control characters")
    scope = f"{journey_id}{_SEPARATOR}{topic}" if topic else journey_id
    payload = f"{contact_id}{_SEPARATOR}{scope}".encode()
    return f"{_b64encode(payload)}.{_b64encode(_mac(secret, payload))}"


def verify_unsubscribe_token(secret: bytes, token: str) -> tuple[str, str]:
    """Return ``(contact_id, journey_id)``; ValueError for anything forged or mangled."""
    if not secret:
        raise ValueError("the unsubscribe secret is empty")
    encoded_payload, dot, encoded_mac = token.partition(".")
    if not dot:
        raise ValueError("malformed unsubscribe token")
    payload = _b64decode(encoded_payload)
    given_mac = _b64decode(encoded_mac)
    if not hmac.compare_digest(given_mac, _mac(secret, payload)):
        raise ValueError("unsubscribe token signature does not match")
    try:
        contact_id, separator, journey_id = payload.decode("utf-8").partition(_SEPARATOR)
    except UnicodeDecodeError:
        raise ValueError("malformed unsubscribe token") from None
    if not separator or not contact_id:
        raise ValueError("malformed unsubscribe token")
    return contact_id, journey_id


def split_topic(scope: str) -> tuple[str, str]:
    """The journey part of a verified token -> ``(journey_id, topic)``; topic "" when none."""
    journey_id, _, topic = scope.partition(_SEPARATOR)
    return journey_id, topic


UNSUBSCRIBE_PATH = "/v1/unsubscribe/"


def unsubscribe_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{UNSUBSCRIBE_PATH}{token}"


def _mac(secret: bytes, payload: bytes) -> bytes:
    mac = _keyed(secret).copy()
    mac.update(payload)
    return mac.digest()[:_MAC_BYTES]


@lru_cache(maxsize=8)  # the signing key and the few still verifying
def _keyed(secret: bytes) -> hmac.HMAC:
    """The HMAC keyed with `secret` and fed the purpose: a copy signs one payload, without
    preparing the key again (most of an HMAC of a short text; every send signs one)."""
    return hmac.new(secret, _PURPOSE, hashlib.sha256)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict decoding: only the canonical spelling of some bytes is accepted.

    The stdlib decoder drops foreign characters and ignores trailing spare bits,
    so two different tokens could otherwise decode to the same bytes.
    """
    if not _B64_ALPHABET.fullmatch(text):
        raise ValueError("malformed unsubscribe token")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("malformed unsubscribe token") from None
    if _b64encode(data) != text:
        raise ValueError("malformed unsubscribe token")
    return data

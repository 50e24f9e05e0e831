"""The unsubscribe key ring: the key that signs new links and the keys that still verify.

The one place every shell gets its keys: the daemon signs and verifies with
them, `journey ingest` without a daemon signs with them, `journey secret
rotate` rotates them. They live in the store (`unsubscribe_keys`, the first
made with the store; a store whose daemon had made a secret of its own adopted
it, so the links it mailed keep verifying). A rotated-out key verifies for
`ROTATION_OVERLAP` after the next key took over. `JOURNEY_SECRET`, which
signed links before stores had keys, still verifies while it is set; it never
signs.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from itertools import pairwise

from journey.errors import StoreError
from journey.store.abc import StateStore
from journey.unsubscribe import ROTATION_OVERLAP, SECRET_ENV, KeyRing

KEY_BYTES = 32  # 256 random bits per key


def key_ring(store: StateStore, env: Mapping[str, str], now: datetime) -> KeyRing:
    """The newest key signs; it, every older key within the overlap and JOURNEY_SECRET verify.

    A key is retired when rotated out, or else when a newer key was made (two
    rotations at once on a shared store): from then on it verifies for
    `ROTATION_OVERLAP`.
    """
    keys = store.unsubscribe_keys()
    if not keys:
        raise StoreError("the store has no unsubscribe key (its schema is not up to date)")
    accepted = [keys[0].key]
    for newer, older in pairwise(keys):
        retired = older.retired_at or newer.created_at
        if retired + ROTATION_OVERLAP > now:
            accepted.append(older.key)
    legacy = env.get(SECRET_ENV, "").encode("utf-8")
    if legacy and legacy not in accepted:
        accepted.append(legacy)
    return KeyRing(current=keys[0].key, accepted=tuple(accepted))


def signing_key(store: StateStore) -> bytes:
    """The key new links are signed with: the store's newest."""
    keys = store.unsubscribe_keys()
    if not keys:
        raise StoreError("the store has no unsubscribe key (its schema is not up to date)")
    return keys[0].key


def rotate_key(store: StateStore, now: datetime) -> datetime:
    """A new random key signs from now on; returns until when the previous one verifies."""
    store.rotate_unsubscribe_key(secrets.token_bytes(KEY_BYTES), now)
    return now + ROTATION_OVERLAP

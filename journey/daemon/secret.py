"""The secret that signs one-click unsubscribe links: JOURNEY_SECRET, else one per database."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from journey.store.abc import StateStore
from journey.unsubscribe import SECRET_ENV

SECRET_PURPOSE = "unsubscribe"  # the store's key for unsubscribe links (store_secret)


def unsubscribe_secret(store: StateStore, env: Mapping[str, str]) -> bytes:
    """JOURNEY_SECRET, else one random secret per database, made once and kept in the store."""
    given = env.get(SECRET_ENV)
    if given:
        return given.encode()
    return store.store_secret(SECRET_PURPOSE, lambda: secrets.token_urlsafe(32)).encode()

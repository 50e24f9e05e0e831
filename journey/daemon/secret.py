"""The secret that signs one-click unsubscribe links: JOURNEY_SECRET, else one per database."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from journey.store.abc import StateStore
from journey.unsubscribe import SECRET_ENV

_SECRET_STATE = "_daemon"  # journey ids start with a letter: no clash


def unsubscribe_secret(store: StateStore, env: Mapping[str, str]) -> bytes:
    """JOURNEY_SECRET, else one random secret per database, kept in the store."""
    given = env.get(SECRET_ENV)
    if given:
        return given.encode()
    state = store.get_journey_state(_SECRET_STATE) or {}
    if "unsubscribe_secret" not in state:
        state["unsubscribe_secret"] = secrets.token_urlsafe(32)
        with store.transaction():
            store.put_journey_state(_SECRET_STATE, state)
    return str(state["unsubscribe_secret"]).encode()

"""The store's own unsubscribe keys: made with the store, rotated with a 90-day overlap."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from journey.daemon.secret import key_ring, rotate_key, signing_key
from journey.store.migrations import MIGRATIONS
from journey.store.sqlite import SQLiteStore
from journey.unsubscribe import ROTATION_OVERLAP, make_unsubscribe_token, verify_unsubscribe_token

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_a_new_store_has_a_random_key_and_id_of_its_own(tmp_path: Path) -> None:
    one, two = SQLiteStore(tmp_path / "one.db"), SQLiteStore(tmp_path / "two.db")
    try:
        assert signing_key(one) != signing_key(two)
        assert len(signing_key(one)) == 32
        assert one.database_id() != two.database_id()
        assert len(one.database_id()) == 16
        assert one.database_id() == one.database_id()  # made once, kept
    finally:
        one.close()
        two.close()


def test_a_rotated_key_verifies_for_the_overlap_then_no_more(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    try:
        old = signing_key(store)
        link = make_unsubscribe_token(old, "c1", "welcome")
        assert rotate_key(store, NOW) == NOW + ROTATION_OVERLAP
        ring = key_ring(store, {}, NOW + timedelta(days=89))
        assert ring.current != old and ring.current == signing_key(store)
        assert ring.verify(link) == ("c1", "welcome")
        assert ring.verify(make_unsubscribe_token(ring.current, "c2", "welcome"))[0] == "c2"
        expired = key_ring(store, {}, NOW + ROTATION_OVERLAP)
        with pytest.raises(ValueError, match="signature"):
            expired.verify(link)
    finally:
        store.close()
    assert timedelta(days=90) == ROTATION_OVERLAP  # docs/operating.md states this number


def test_journey_secret_in_the_environment_verifies_but_never_signs(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    try:
        ring = key_ring(store, {"JOURNEY_SECRET": "set-before-stores-had-keys"}, NOW)
    finally:
        store.close()
    assert ring.current != b"set-before-stores-had-keys"
    old_link = make_unsubscribe_token(b"set-before-stores-had-keys", "c1", "welcome")
    assert ring.verify(old_link) == ("c1", "welcome")


def _store_at(path: Path, version: int) -> sqlite3.Connection:
    """A store as journey made it at schema `version`."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE schema_version (version INTEGER NOT NULL, description TEXT NOT NULL)"
    )
    for number, description, statements in MIGRATIONS[:version]:
        for statement in statements:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?, ?)", (number, description))
    conn.execute("INSERT INTO store_keys (purpose, key) VALUES ('erasure', 'k')")
    return conn


def test_the_secret_a_daemon_kept_among_the_store_keys_signs_on(tmp_path: Path) -> None:
    """Schema 6 kept the daemon's secret in store_keys ('unsubscribe'): links it mailed work."""
    path = tmp_path / "state.db"
    conn = _store_at(path, 6)
    conn.execute("INSERT INTO store_keys (purpose, key) VALUES ('unsubscribe', 'kept-since-5')")
    conn.close()
    mailed = make_unsubscribe_token(b"kept-since-5", "c1", "welcome")
    store = SQLiteStore(path)
    try:
        assert store.schema_version == MIGRATIONS[-1][0]
        assert signing_key(store) == b"kept-since-5"
        assert verify_unsubscribe_token(key_ring(store, {}, NOW).current, mailed)[0] == "c1"
        rotate_key(store, NOW)  # and it verifies for the overlap like any other key
        assert key_ring(store, {}, NOW + timedelta(days=1)).verify(mailed) == ("c1", "welcome")
        # one place for the keys: the secret moved out of store_keys
        assert store.store_secret("unsubscribe", lambda: "absent") == "absent"
    finally:
        store.close()


def test_a_secret_from_before_the_store_keys_also_signs_on(tmp_path: Path) -> None:
    """Schema 4 kept it in journey_state ('_daemon'); migrations 5 and 7 carry it over."""
    path = tmp_path / "old.db"
    conn = _store_at(path, 4)
    state = json.dumps({"unsubscribe_secret": "generated-by-an-older-daemon"})
    conn.execute("INSERT INTO journey_state (journey_id, state) VALUES ('_daemon', ?)", (state,))
    conn.close()
    store = SQLiteStore(path)
    try:
        assert signing_key(store) == b"generated-by-an-older-daemon"
    finally:
        store.close()

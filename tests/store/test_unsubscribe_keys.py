"""The store's own unsubscribe keys: made with the store, rotated with a 90-day overlap."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from journey.store.sqlite import SQLiteStore
from journey.unsubscribe import ROTATION_OVERLAP, make_unsubscribe_token

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_a_new_store_has_a_random_key_and_id_of_its_own(tmp_path: Path) -> None:
    one, two = SQLiteStore(tmp_path / "one.db"), SQLiteStore(tmp_path / "two.db")
    try:
        assert one.unsubscribe_keys(NOW, ROTATION_OVERLAP).current != (
            two.unsubscribe_keys(NOW, ROTATION_OVERLAP).current
        )
        assert one.database_id() != two.database_id()
        assert len(one.database_id()) == 16
    finally:
        one.close()
        two.close()


def test_a_rotated_key_verifies_for_the_overlap_then_no_more(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    try:
        old = store.unsubscribe_keys(NOW, ROTATION_OVERLAP).current
        link = make_unsubscribe_token(old, "c1", "welcome")
        store.rotate_unsubscribe_key(NOW)
        ring = store.unsubscribe_keys(NOW + timedelta(days=89), ROTATION_OVERLAP)
        assert ring.current != old
        assert ring.verify(link) == ("c1", "welcome")
        assert ring.verify(make_unsubscribe_token(ring.current, "c2", "welcome"))[0] == "c2"
        expired = store.unsubscribe_keys(NOW + ROTATION_OVERLAP, ROTATION_OVERLAP)
        with pytest.raises(ValueError, match="signature"):
            expired.verify(link)
    finally:
        store.close()
    assert timedelta(days=90) == ROTATION_OVERLAP  # docs/operating.md states this number


def test_a_store_whose_daemon_generated_a_secret_keeps_signing_with_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as conn:  # as a store made before migration 5 looked
        conn.execute("DELETE FROM schema_version WHERE version >= 5")
        conn.execute("DROP TABLE unsubscribe_keys")
        conn.execute("DELETE FROM store_keys WHERE purpose = 'database-id'")
        state = json.dumps({"unsubscribe_secret": "generated-by-an-older-daemon"})
        conn.execute(
            "INSERT INTO journey_state (journey_id, state) VALUES ('_daemon', ?)", (state,)
        )
    store = SQLiteStore(path)
    try:
        assert store.unsubscribe_keys(NOW, ROTATION_OVERLAP).current == (
            b"generated-by-an-older-daemon"
        )
    finally:
        store.close()

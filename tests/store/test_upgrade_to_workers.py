"""An older store upgrades in place: journey clocks and the unsubscribe secret survive."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from journey.daemon.secret import signing_key
from journey.records import JourneyState
from journey.store.identity import APPLICATION_ID
from journey.store.migrations import MIGRATIONS
from journey.store.sqlite import SQLiteStore

NEXT = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def version_4_store(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(
        "CREATE TABLE schema_version (version INTEGER NOT NULL, description TEXT NOT NULL)"
    )
    for version, description, statements in MIGRATIONS[:4]:
        for statement in statements:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?, ?)", (version, description))
    conn.execute("INSERT INTO store_keys (purpose, key) VALUES ('erasure', 'k')")
    weekly = {"trigger": "schedule", "activated_at": "2026-03-01T09:00:00.000000+00:00"}
    weekly["next_fire_at"] = "2026-03-09T09:00:00.000000+00:00"
    conn.execute(
        "INSERT INTO journey_state (journey_id, state) VALUES (?, ?)",
        ("weekly", json.dumps(weekly)),
    )
    conn.execute(
        "INSERT INTO journey_state (journey_id, state) VALUES (?, ?)",
        ("_daemon", json.dumps({"unsubscribe_secret": "links-already-mailed"})),
    )
    conn.close()


def test_journey_clocks_and_the_unsubscribe_secret_survive_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    version_4_store(path)
    store = SQLiteStore(path)
    assert store.schema_version == MIGRATIONS[-1][0]
    assert store.get_journey_state("weekly") == JourneyState(
        journey_id="weekly",
        trigger="schedule",
        activated_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        next_fire_at=NEXT,
    )
    assert store.get_journey_state("_daemon") is None  # not a journey
    # links in messages already sent keep working: the daemon's secret is the old one
    assert signing_key(store) == b"links-already-mailed"
    assert store.next_due_at(["weekly"]) == NEXT
    store.close()

"""The store file: marked as ours when made, made whole, and never written once it is gone."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from journey.store.identity import APPLICATION_ID, StoreReplaced
from journey.store.migrations import LATEST_VERSION, MIGRATIONS
from journey.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_a_new_store_carries_the_journey_mark_and_no_leftover_files(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "state.db").close()
    conn = sqlite3.connect(tmp_path / "state.db")
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]


def test_a_store_made_before_the_mark_is_adopted_and_marked(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE schema_version (version INTEGER NOT NULL, description TEXT NOT NULL)"
    )
    for version, description, statements in MIGRATIONS[:2]:
        for statement in statements:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?, ?)", (version, description))
    conn.execute("INSERT INTO contacts (id, email) VALUES ('c1', 'c1@example.test')")
    conn.close()

    store = SQLiteStore(path)
    try:
        assert store.get_contact("c1") is not None
        assert store._one("PRAGMA application_id")[0] == APPLICATION_ID
    finally:
        store.close()


def test_a_store_whose_file_was_deleted_acknowledges_nothing(tmp_path: Path) -> None:
    """The API's write path: an error (answered 503), never a 202 for a lost write."""
    store = SQLiteStore(tmp_path / "state.db")
    store.enqueue([("event", {"id": "e0"})], NOW)
    (tmp_path / "state.db").unlink()
    with pytest.raises(StoreReplaced, match="was deleted while open"):
        store.enqueue([("event", {"id": "e1"})], NOW)
    assert store.identity_problem() is not None
    store.close()


MAKER = """
import sys
from pathlib import Path
from journey.store.sqlite import SQLiteStore
store = SQLiteStore(Path(sys.argv[1]))
store.enqueue([("event", {"id": sys.argv[2]})], __import__("datetime").datetime.now().astimezone())
store.close()
"""


def test_stores_made_at_the_same_moment_by_many_processes_are_one_store(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    makers = [
        subprocess.Popen([sys.executable, "-c", MAKER, str(path), f"e{n}"], cwd=ROOT)
        for n in range(3)
    ]
    assert [maker.wait(timeout=60) for maker in makers] == [0] * 3
    store = SQLiteStore(path)
    try:
        assert store.inbox_size() == 3
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]


def test_migrates_an_empty_file_to_the_latest_version(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "new" / "state.db")
    assert store.schema_version == LATEST_VERSION
    assert {"contacts", "events", "plans", "enrollments", "step_history", "deliveries"} <= set(
        store.table_names()
    )
    store.close()
    again = SQLiteStore(tmp_path / "new" / "state.db")  # reopening applies nothing twice
    assert again.schema_version == LATEST_VERSION
    mode = again._conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"

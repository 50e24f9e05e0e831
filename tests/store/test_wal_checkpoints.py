"""A file store folds its WAL into the database every WAL_CHECKPOINT_PAGES pages (not SQLite's
1000: fewer copies of pages many commits rewrite), and bounds the WAL file to that size."""

from __future__ import annotations

from pathlib import Path

from journey.store.sqlite import SQLiteStore
from journey.store.sqlite_connection import WAL_CHECKPOINT_PAGES


def test_a_file_store_checkpoints_every_so_many_pages_and_bounds_its_wal(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    try:
        pragma = store._conn.execute
        assert pragma("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert pragma("PRAGMA wal_autocheckpoint").fetchone()[0] == WAL_CHECKPOINT_PAGES
        page = pragma("PRAGMA page_size").fetchone()[0]
        assert pragma("PRAGMA journal_size_limit").fetchone()[0] == WAL_CHECKPOINT_PAGES * page
    finally:
        store.close()

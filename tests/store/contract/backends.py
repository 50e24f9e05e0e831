"""The backends the contract suite runs on: one factory each, registered in BACKENDS.

A factory takes (tmp_path, shared_name) and opens a store; two calls with the
same name open the same database (two workers, two processes), a new name a
fresh one. Adding a backend is one line in BACKENDS. Factories live here, not
in conftest, so that worker processes (spawned) can import them by name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from journey.store.abc import StateStore
from journey.store.sqlite import SQLiteStore

StoreFactory = Callable[[Path, str], StateStore]


def make_sqlite_store(tmp_path: Path, shared_name: str) -> StateStore:
    """One SQLite file per name in the test's directory."""
    return SQLiteStore(tmp_path / f"{shared_name}.db")


BACKENDS: dict[str, StoreFactory] = {
    "sqlite": make_sqlite_store,
}

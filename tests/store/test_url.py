"""A store from a URL: `sqlite:///path`, a plain path, `:memory:`; anything else is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from journey.errors import UsageError
from journey.model import Contact
from journey.store.url import open_store, sqlite_path

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _round_trip(url: str | Path) -> Contact | None:
    store = open_store(url)
    try:
        with store.transaction():
            store.put_contact(Contact(id="c1", email="c1@example.com", created_at=NOW))
    finally:
        store.close()
    again = open_store(url)
    try:
        return again.get_contact("c1")
    finally:
        again.close()


def test_a_sqlite_url_and_a_plain_path_name_the_same_file(tmp_path: Path) -> None:
    database = tmp_path / "state.db"
    assert _round_trip(f"sqlite:///{database}") is not None
    assert database.is_file()
    assert _round_trip(database) is not None
    assert sqlite_path(f"sqlite:///{database}") == database == sqlite_path(database)


def test_memory_gives_a_throw_away_store() -> None:
    assert _round_trip(":memory:") is None  # each open is a new, empty store
    assert sqlite_path(":memory:") is None


def test_an_unknown_scheme_is_a_usage_error_naming_it() -> None:
    with pytest.raises(UsageError, match="unknown scheme 'mysql'"):
        open_store("mysql://db.example/journey")

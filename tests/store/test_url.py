"""Which store a location names: a path or sqlite:// is SQLite, postgresql:// is PostgreSQL;
--database over JOURNEY_DATABASE_URL over workspace.yaml's `database:`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from journey.cli.main import cli
from journey.errors import UsageError
from journey.model import Contact
from journey.store.postgres import PostgresStore
from journey.store.sqlite import SQLiteStore
from journey.store.url import is_postgres, open_store, shown, sqlite_path
from journey.workspace import build_workspace
from tests.daemon.workspace_factory import make_workspace
from tests.support.backends import PostgresBackend


def test_paths_and_sqlite_urls_open_sqlite_files(tmp_path: Path) -> None:
    for location in (str(tmp_path / "a.db"), f"sqlite://{tmp_path / 'b.db'}", tmp_path / "c.db"):
        store = open_store(location)
        assert isinstance(store, SQLiteStore)
        store.close()
    assert {p.name for p in tmp_path.iterdir()} >= {"a.db", "b.db", "c.db"}
    assert sqlite_path("sqlite:///srv/state.db") == Path("/srv/state.db")
    assert sqlite_path("sqlite://state.db") == Path("state.db")


def test_a_postgresql_url_opens_a_postgresql_store(tmp_path: Path) -> None:
    backend = PostgresBackend()
    try:
        store = open_store(backend.url(tmp_path, "url"))
        assert isinstance(store, PostgresStore)
        store.close()
    finally:
        backend.close()
    assert is_postgres("postgres://h/db") and not is_postgres("postgresql.db")
    assert shown("postgresql://u:secret@h:5432/db") == "postgresql://u@h:5432/db"


def test_the_command_line_wins_over_the_environment_over_the_workspace(tmp_path: Path) -> None:
    workspace = build_workspace(tmp_path, {"database": "data/state.db"})
    assert workspace.store_url(env={}) == str(tmp_path / "data" / "state.db")
    env = {"JOURNEY_DATABASE_URL": "postgresql://env@h/db"}
    assert workspace.store_url(env=env) == "postgresql://env@h/db"
    assert workspace.store_url("postgresql://flag@h/db", env) == "postgresql://flag@h/db"
    remote = build_workspace(tmp_path, {"database": "postgresql://yaml@h/db"})
    assert remote.store_url(env={}) == "postgresql://yaml@h/db"
    assert build_workspace(tmp_path, {}).store_url(env={}) == str(
        tmp_path / ".journey" / "state.db"
    )


def test_a_store_the_server_cannot_be_reached_for_is_one_line_and_exit_2(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    result = CliRunner().invoke(
        cli, ["--workspace", str(root), "status", "--database", "postgresql://u:pw@127.0.0.1:1/x"]
    )
    assert result.exit_code == 2
    assert result.output.startswith("journey: error: cannot open the state store ")
    assert "pw@" not in result.output and "Traceback" not in result.output


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


def test_an_unknown_scheme_is_a_usage_error_naming_it() -> None:
    with pytest.raises(UsageError, match="unknown scheme 'mysql'"):
        open_store("mysql://db.example/journey")

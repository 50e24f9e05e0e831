"""Where a state store lives, as a URL, and opening it: the one place a store is constructed.

``postgresql://user@host:5432/db`` (or ``postgres://``) is a PostgreSQL store;
``sqlite:///abs/path.db`` (or ``sqlite:////abs/path.db``), ``sqlite://relative/path.db``
and a plain path are a SQLite file, as before; ``:memory:`` a throw-away SQLite store.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from journey.store.postgres import PostgresStore
    from journey.store.postgres.connection import WorkerSession
    from journey.store.sqlite import SQLiteStore

    SQLStore: TypeAlias = SQLiteStore | PostgresStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite://"


def is_postgres(url: str | Path) -> bool:
    return isinstance(url, str) and url.startswith(POSTGRES_SCHEMES)


def sqlite_path(url: str | Path) -> Path:
    """The file of a SQLite URL or plain path."""
    text = str(url)
    if not text.startswith(SQLITE_SCHEME):
        return Path(text)
    path = text[len(SQLITE_SCHEME) :]
    # sqlite:////abs/state.db (four slashes, as SQLAlchemy writes it) is /abs/state.db too
    return Path(path[1:] if path.startswith("//") else path)


def shown(url: str | Path) -> str:
    """The location for messages: a PostgreSQL URL without its password, a SQLite path."""
    if is_postgres(url):
        from journey.store.postgres.connection import redacted

        return redacted(str(url))
    return str(sqlite_path(url))


def store_exists(url: str | Path) -> bool:
    """False only for a SQLite file not made yet (a server database is asked when opened)."""
    return is_postgres(url) or sqlite_path(url).exists()


def open_store(url: str | Path, *, session: WorkerSession | None = None) -> SQLStore:
    """Open (and migrate) the store at `url`; on PostgreSQL, `session` names a worker's
    connections (journey.store.postgres.connection.WorkerSession)."""
    if is_postgres(url):
        try:
            from journey.store.postgres import PostgresStore
        except ImportError as exc:  # psycopg is the optional extra `postgres`
            from journey.errors import StoreError

            raise StoreError(
                f"{shown(url)} is a PostgreSQL store, which needs psycopg: "
                "pip install 'journey[postgres]'"
            ) from exc
        return PostgresStore(str(url), session=session)
    text = str(url)
    if "://" in text and not text.startswith(SQLITE_SCHEME):
        from journey.errors import UsageError

        scheme = text.split("://", 1)[0]
        raise UsageError(
            f"store URL {shown(text)!r}: unknown scheme {scheme!r} (supported: sqlite, postgresql)"
        )
    from journey.store.sqlite import SQLiteStore

    return SQLiteStore(sqlite_path(url))


def open_scratch_store(path: Path) -> SQLStore:
    """A throw-away SQLite file for one process (a simulation over a large population):
    the same store on disk instead of in memory, its journal in memory, without fsync."""
    from journey.store.sqlite import SQLiteStore

    return SQLiteStore(path, scratch=True)


def environment_errors() -> tuple[type[BaseException], ...]:
    """Driver errors that mean the store itself failed (locked, gone, unreachable), not a record."""
    import sqlite3

    try:
        import psycopg
    except ImportError:
        return (sqlite3.Error,)
    return (sqlite3.Error, psycopg.OperationalError, psycopg.InterfaceError)

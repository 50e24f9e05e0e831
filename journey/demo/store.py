"""The demo's store, made fresh on every run: its own SQLite file, or a PostgreSQL database.

A PostgreSQL database is the demo's when it is empty or an earlier demo filled
it (a `demo` entry in `store_keys`); any other store is refused, so pointing the
demo at a database that holds real state never wipes it.
"""

from __future__ import annotations

from pathlib import Path

from journey.errors import StoreError, UsageError
from journey.store.abc import StateStore
from journey.store.url import shown

DEMO_MARK = "demo"


def fresh_sqlite(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def fresh_postgres(url: str) -> None:
    """Drop what an earlier demo left in the database; refuse a store no demo made."""
    try:
        import psycopg
        from psycopg import sql
    except ImportError as exc:
        raise StoreError(
            f"{shown(url)} is a PostgreSQL store, which needs psycopg: "
            "pip install 'journey[postgres]'"
        ) from exc
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            tables = [
                str(name)
                for (name,) in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
            ]
            if not tables:
                return
            mark = None
            if "store_keys" in tables:
                mark = conn.execute(
                    "SELECT key FROM store_keys WHERE purpose = %s", (DEMO_MARK,)
                ).fetchone()
            if mark is None:
                raise UsageError(
                    f"--demo starts its database over on every run, and {shown(url)} holds "
                    "tables no demo made; give the demo an empty database of its own "
                    "(for example: createdb journey_demo)"
                )
            with conn.transaction():
                for table in tables:
                    conn.execute(sql.SQL("DROP TABLE {} CASCADE").format(sql.Identifier(table)))
    except psycopg.Error as exc:
        raise StoreError(f"cannot prepare the demo's database {shown(url)}: {exc}") from exc


def mark_as_demo(store: StateStore) -> None:
    """The store the demo made is marked, so that the next demo may start it over."""
    store.store_secret(DEMO_MARK, lambda: "journey run --demo")

"""Every state-store backend the tests run on, by name: `BACKENDS["sqlite"]`, `["postgresql"]`.

The one registry: the store tests (tests/store/conftest.py) and the store
contract suite (tests/store/contract) are parametrized over it, so adding a
backend is one line in BACKENDS. A backend hands out stores for one test:
`backend.open(tmp_path, name)` and `backend.url(tmp_path, name)`; two calls with
the same name reach the same database (a second connection, a second worker),
different names never do. A worker in another process opens the URL with
`journey.store.url.open_store`, as `journey run` does.

PostgreSQL databases are made fresh per test from the `test` database
(JOURNEY_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test)
and dropped by `close`. An unreachable PostgreSQL (or a missing psycopg) fails
the test with the reason and the command to fix it: it never skips.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest

from journey.store.abc import StateStore

ADMIN_URL = os.environ.get("JOURNEY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


class Backend(Protocol):
    def url(self, tmp_path: Path, name: str) -> str: ...

    def open(self, tmp_path: Path, name: str) -> StateStore: ...

    def close(self) -> None: ...


class SQLiteBackend:
    """A file per name in the test's tmp_path."""

    def __init__(self) -> None:
        self._stores: list[StateStore] = []

    def url(self, tmp_path: Path, name: str) -> str:
        return f"sqlite://{tmp_path.resolve() / (name + '.db')}"

    def open(self, tmp_path: Path, name: str) -> StateStore:
        from journey.store.sqlite import SQLiteStore

        store = SQLiteStore(tmp_path / f"{name}.db")
        self._stores.append(store)
        return store

    def close(self) -> None:
        for store in self._stores:
            store.close()


class PostgresBackend:
    """A database per name (journey_test_<random>_<name>), dropped when the test ends."""

    def __init__(self, admin_url: str = ADMIN_URL) -> None:
        self.admin_url = admin_url
        self.token = secrets.token_hex(4)
        self._made: list[str] = []
        self._stores: list[StateStore] = []

    def _admin(self):  # type: ignore[no-untyped-def]
        try:
            import psycopg
        except ImportError:
            pytest.fail(
                "psycopg is not installed; the PostgreSQL tests need it: "
                "pip install -e '.[postgres]'",
                pytrace=False,
            )
        try:
            return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            pytest.fail(
                f"PostgreSQL is unreachable at {self.admin_url} ({str(exc).strip()}); these "
                "tests need it: pg_ctlcluster --skip-systemctl-redirect "
                "$(ls /etc/postgresql) main start",
                pytrace=False,
            )

    def database(self, name: str) -> str:
        return f"journey_test_{self.token}_{name}".lower()

    def url(self, tmp_path: Path, name: str) -> str:
        database = self.database(name)
        if database not in self._made:
            with self._admin() as admin:
                admin.execute(f'CREATE DATABASE "{database}"')
            self._made.append(database)
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{database}"

    def open(self, tmp_path: Path, name: str) -> StateStore:
        from journey.store.postgres import PostgresStore

        store = PostgresStore(self.url(tmp_path, name))
        self._stores.append(store)
        return store

    def close(self) -> None:
        for store in self._stores:
            store.close()
        if self._made:
            with self._admin() as admin:
                for database in self._made:
                    admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


BACKENDS: dict[str, Callable[[], Backend]] = {
    "sqlite": SQLiteBackend,
    "postgresql": PostgresBackend,
}

"""The SQLite store's connection: opening, schema migrations, transactions, row helpers.

The table-specific halves of `SQLiteStore` (contacts, enrollments, deliveries,
inbox, trigger state) are mixins over this class; it owns what they share:
the connection, the transaction depth, the read-ahead of the open transaction
and the step-history rows waiting for its commit.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from journey.errors import StoreError
from journey.model import Plan
from journey.store.migrations import LATEST_VERSION, MIGRATIONS
from journey.store.readahead import ReadAhead


class SQLiteConnection:
    """One connection, used by one thread at a time (the lock guards transactions)."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 10_000) -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self._db = sqlite_utils.Database(self._conn)
            if self.path != ":memory:":
                self._db.enable_wal()
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = OFF")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the state store {self.path}: {exc}") from exc
        self._depth = 0
        self._lock = threading.RLock()
        self._plans: dict[str, Plan] = {}
        self._ahead: ReadAhead | None = None
        # step-history rows of the open transaction, written with one executemany at commit
        self._pending_steps: list[tuple[Any, ...]] = []

    # ------------------------------------------------------------ housekeeping
    def _migrate(self) -> None:
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
            "description TEXT NOT NULL)"
        )
        current = self.schema_version
        if current > LATEST_VERSION:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this journey "
                f"({LATEST_VERSION}); upgrade journey"
            )
        for version, description, statements in MIGRATIONS:
            if version <= current:
                continue
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    self._conn.execute(statement)
                self._conn.execute(
                    "INSERT INTO schema_version (version, description) VALUES (?, ?)",
                    (version, description),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def table_names(self) -> list[str]:
        return list(self._db.table_names())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
                if self._depth == 1:
                    self._flush_steps()
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._forget_transaction()
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._forget_transaction()
                self._conn.execute("COMMIT")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """One unit of work inside the open transaction, undone alone when it fails.

        The daemon drains the inbox in batches, one transaction each; an item
        that fails half-way must not leave half of its writes (an enrollment
        without its delivery) in the batch's commit.
        """
        with self._lock:
            if self._depth == 0:
                raise StoreError("a savepoint needs an open transaction")
            self._flush_steps()  # rows buffered so far belong to the work before
            self._conn.execute("SAVEPOINT unit_of_work")
            try:
                yield
            except BaseException:
                self._pending_steps.clear()
                self._ahead = None  # may describe rows the undone work wrote
                self._conn.execute("ROLLBACK TO unit_of_work")
                self._conn.execute("RELEASE unit_of_work")
                raise
            self._conn.execute("RELEASE unit_of_work")

    def _forget_transaction(self) -> None:
        """Read-ahead and buffered rows belong to one transaction."""
        self._ahead = None
        self._pending_steps.clear()

    def _forget(self, contact_id: str) -> None:
        if self._ahead is not None:
            self._ahead.forget(contact_id)

    def close(self) -> None:
        self._conn.close()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._conn.execute(sql, params).fetchall()

    def _flush_steps(self) -> None:
        """Write the step-history rows buffered by this transaction (before commit or a read)."""
        if not self._pending_steps:
            return
        rows = list(self._pending_steps)
        self._pending_steps.clear()
        self._conn.executemany(
            "INSERT INTO step_history (enrollment_id, journey_id, contact_id, step_id, outcome,"
            " at, detail) VALUES (?,?,?,?,?,?,?)",
            rows,
        )


def chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    """Slices small enough for one `IN (...)` (SQLite caps bound parameters)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]

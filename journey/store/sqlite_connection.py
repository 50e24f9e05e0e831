"""The SQLite store's connection: opening, schema migrations, transactions, row helpers.

The table-specific halves of `SQLiteStore` (contacts, enrollments, deliveries,
inbox, trigger state) are mixins over this class; it owns what they share:
the connection, the transaction depth, the read-ahead of the open transaction
and the step-history rows waiting for its commit.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from journey.errors import StoreError
from journey.model import Plan
from journey.store.identity import (
    APPLICATION_ID,
    FileIdentity,
    StoreReplaced,
    check_store_connection,
    check_store_file,
    create_store_file,
    hold,
    let_go,
    replaced_problem,
)
from journey.store.migrations import apply_migrations
from journey.store.readahead import ReadAhead

SCRATCH_CACHE_KIB = 64 * 1024  # the page cache of a scratch store: bounded, whatever its size
# Pages the WAL may hold before a commit folds them into the file (SQLite's default: 1000).
# A checkpoint copies the latest version of each page once, so a longer interval copies a
# page rewritten by many commits (an index's, the enrollments' due pages) fewer times:
# 1000 pages put a third of a daemon's commit CPU into checkpoints (bench.engine). What
# a crash keeps is the same whatever the interval; a checkpoint truncates the WAL
# file back to this size (journal_size_limit) when it grew beyond.
WAL_CHECKPOINT_PAGES = 8192


class SQLiteConnection:
    """One connection, used by one thread at a time (the lock guards transactions)."""

    def __init__(
        self, path: str | Path, *, busy_timeout_ms: int = 10_000, scratch: bool = False
    ) -> None:
        """`scratch`: a throw-away file for one process (a simulation): its rollback journal
        in memory, no fsync, no zeroing of freed pages; a crash loses it, which is all it
        may do."""
        self.path = str(path)
        self.identity: FileIdentity | None = None
        self._let_go: Callable[[], object] = lambda: None
        self._where = os.path.abspath(self.path)  # as given (symlinks followed by stat)
        try:
            if self.path != ":memory:":
                prepare_store_file(Path(self.path))
            self._conn = sqlite3.connect(
                self._sqlite_path(), isolation_level=None, check_same_thread=False, timeout=10
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            # erased data is overwritten with zeros, not left in free pages
            self._conn.execute(f"PRAGMA secure_delete = {'OFF' if scratch else 'ON'}")
            self._db = sqlite_utils.Database(self._conn)
            legacy = False
            if scratch:
                # the rollback journal in memory: no file, but savepoints and rollbacks
                # still undo (with journal_mode OFF, `ROLLBACK TO` leaves the writes)
                self._conn.execute("PRAGMA journal_mode = MEMORY")
                self._conn.execute(f"PRAGMA cache_size = -{SCRATCH_CACHE_KIB}")
            elif self.path != ":memory:":
                self.identity = FileIdentity.of(self._where)
                hold(self.identity)  # before anything can fail: let go below if it does
                # once, at close() or when a connection never closed is collected
                self._let_go = weakref.finalize(self, let_go, self.identity)
                legacy = check_store_connection(self._conn, self.path)
                self._db.enable_wal()
                self._conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
                page = int(self._conn.execute("PRAGMA page_size").fetchone()[0])
                self._conn.execute(f"PRAGMA journal_size_limit = {WAL_CHECKPOINT_PAGES * page}")
            self._conn.execute(f"PRAGMA synchronous = {'OFF' if scratch else 'NORMAL'}")
            self._conn.execute("PRAGMA foreign_keys = OFF")
            self._migrate(mark=legacy or scratch or self.path == ":memory:")
        except BaseException as exc:
            self._let_go()
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(f"cannot open the state store {self.path}: {exc}") from exc
            raise
        # a scratch file is written by this connection alone (journey.store.sqlite_erasure)
        self._only_writer = scratch
        self._depth = 0
        self._closed = False
        self._lock = threading.RLock()
        # Plans by content hash: immutable, so only what an undone transaction wrote or
        # read (`_plans_this_transaction`) can be wrong, and is forgotten at its rollback.
        self._plans: dict[str, Plan] = {}
        self._plans_this_transaction: list[str] = []
        self._ahead: ReadAhead | None = None
        # step-history rows of the open transaction, written with one executemany at commit
        self._pending_steps: list[tuple[Any, ...]] = []
        # Answers of reads that only a write can change (`_until_written`), each with the
        # mark of the writes it saw: rows this connection changed (SQLite's total_changes)
        # less those it added to `events`, which none of these reads looks at, and an
        # epoch that moves on at every rollback and, for a file other connections may
        # write too, at every transaction (none can commit while this one holds the lock).
        self._unchanged: dict[tuple[Any, ...], tuple[tuple[int, int], Any]] = {}
        self._history_changes = 0
        self._epoch = 0

    def _sqlite_path(self) -> str:
        return self.path if self.path == ":memory:" else os.path.realpath(self.path)

    def identity_problem(self) -> str | None:
        """Why the open store is no longer the file at its path (deleted, replaced), or None."""
        if self.identity is None:
            return None
        return replaced_problem(self._where, self.identity)

    # ------------------------------------------------------------ housekeeping
    def _migrate(self, *, mark: bool) -> None:
        if mark:
            self._conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        apply_migrations(self._conn, self.path)

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
                if not self._only_writer:
                    self._epoch += 1  # others may have committed since the last transaction
            self._depth += 1
            try:
                yield
                if self._depth == 1:
                    self._flush_steps()
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._forget_transaction()
                    self._forget_undone_plans()
                    self._conn.execute("ROLLBACK")
                    self._epoch += 1
                    self._after_rollback()
                raise
            self._depth -= 1
            if self._depth == 0:
                self._forget_transaction()
                self._commit()

    def _commit(self) -> None:
        """Commit, unless the file was deleted or replaced: then nothing is acknowledged."""
        problem = self.identity_problem()
        if problem is not None:
            self._forget_undone_plans()
            self._conn.execute("ROLLBACK")
            self._epoch += 1
            self._after_rollback()
            raise StoreReplaced(problem)
        self._conn.execute("COMMIT")
        self._plans_this_transaction.clear()
        self._after_commit()

    def _after_commit(self) -> None:
        """Work that must follow a commit, outside any transaction (erasure's scrub)."""

    def _after_rollback(self) -> None:
        """Forget what the undone transaction asked of `_after_commit`."""

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
                self._forget_undone_plans()
                self._conn.execute("ROLLBACK TO unit_of_work")
                self._epoch += 1
                self._conn.execute("RELEASE unit_of_work")
                raise
            self._conn.execute("RELEASE unit_of_work")

    def _forget_transaction(self) -> None:
        """Read-ahead and buffered rows belong to one transaction."""
        self._ahead = None
        self._pending_steps.clear()

    def _forget_undone_plans(self) -> None:
        for plan_hash in self._plans_this_transaction:
            self._plans.pop(plan_hash, None)
        self._plans_this_transaction.clear()

    def _cache_plan(self, plan_hash: str, plan: Plan) -> None:
        self._plans[plan_hash] = plan
        if self._depth > 0:
            self._plans_this_transaction.append(plan_hash)

    def _forget(self, contact_id: str) -> None:
        if self._ahead is not None:
            self._ahead.forget(contact_id)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._conn.close()
        self._let_go()  # after SQLite closed its descriptors

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._conn.execute(sql, params).fetchall()

    _UNCHANGED_KEPT = 64  # distinct questions (journey id lists) remembered at once

    def _until_written(self, question: tuple[Any, ...], read: Callable[[], Any]) -> Any:
        """`read()`, or its last answer to `question` when nothing was written since.

        Only inside a transaction, or on a file this connection alone writes: otherwise
        another connection may have committed in between. Virtual-clock drivers ask
        `next_due_at` and `inbox_size` before every event they feed, and most events
        write nothing but themselves to `events`."""
        if not (self._only_writer or self._depth > 0):
            return read()
        # the mark is taken before the read: a write in between makes the answer stale
        # under a mark that no longer comes up, never under the current one
        mark = (self._conn.total_changes - self._history_changes, self._epoch)
        kept = self._unchanged.get(question)
        if kept is not None and kept[0] == mark:
            return kept[1]
        answer = read()
        if len(self._unchanged) >= self._UNCHANGED_KEPT:
            self._unchanged.clear()
        self._unchanged[question] = (mark, answer)
        return answer

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


def prepare_store_file(path: Path) -> None:
    """A new store is made whole and marked; an existing file must be a journey store."""
    check_store_file(path)
    if not path.exists():
        create_store_file(path, lambda conn: apply_migrations(conn, str(path)))
        check_store_file(path)  # a racing maker's file is judged like any other


def chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    """Slices small enough for one `IN (...)` (SQLite caps bound parameters)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]

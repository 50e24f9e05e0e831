"""The PostgreSQL store's connection: a pool, schema migrations, transactions, row helpers.

psycopg 3 with psycopg_pool: a connection is checked (and replaced when the
server restarted) each time it is taken from the pool. A server that cannot be
reached (down, restarting, the connection broke mid-statement) is
`StoreUnavailable` from the call that needed it, within POOL_WAIT_SECONDS; the
pool reconnects in the background, so a later call works. A transaction pins one
connection from BEGIN to COMMIT; a statement outside a transaction runs on
any pooled connection in autocommit. One thread at a time uses a store (the
lock guards transactions), as with the SQLite store; the table-specific
halves of `PostgresStore` are mixins over this class.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool

from journey.errors import StoreError
from journey.model import Plan
from journey.records import StoreUnavailable
from journey.store import json_text
from journey.store.identity import StoreReplaced
from journey.store.postgres.migrations import apply_migrations
from journey.store.readahead import ReadAhead

Connection = psycopg.Connection[tuple[Any, ...]]
CONNECT_TIMEOUT_SECONDS = 10
# How long a call waits for a working connection while the server is away, before it is
# StoreUnavailable: an HTTP request is answered 503 by then, a tick retries later.
POOL_WAIT_SECONDS = 5.0
# Driver errors that say the server or the connection failed, not the statement.
UNREACHABLE = (psycopg.OperationalError, psycopg.InterfaceError)
# What the server says of itself, by SQLSTATE (then its class), when it answers
# with an error that passes: asked again later, as for a server that is away
_SERVER_STATES = {
    "57014": "cancelled the statement (a statement timeout or an operator)",
    "57": "is restarting or was told to close the connection",
    "53": "is out of resources (memory, disk or connections)",
    "58": "has a system error (I/O)",
}
IDENTITY_CHECK_SECONDS = 2.0  # the daemon asks 5 times a second; the server is asked less


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def _configure(conn: Connection) -> None:
    conn.execute("SET TimeZone TO 'UTC'")
    set_json_loads(json_text.loads, conn)  # json columns read as json.loads would, faster


@dataclass(frozen=True, slots=True)
class WorkerSession:
    """How a worker with shard leases connects: its sessions carry its name (so a worker that
    takes its shards over can end them) and end when idle that long inside a transaction."""

    name: str
    idle_transaction_seconds: float


def _session_options(session: WorkerSession | None) -> dict[str, Any]:
    if session is None:
        return {}
    millis = max(int(session.idle_transaction_seconds * 1000), 1)
    return {
        "options": f"-c idle_in_transaction_session_timeout={millis}",
        "application_name": session.name[:63],
    }


def connect(url: str, *, session: WorkerSession | None = None) -> Connection:
    """One connection in autocommit, or a StoreError that says which database and why."""
    try:
        conn: Connection = psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            **_session_options(session),
        )
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"cannot open the state store {redacted(url)}: {reason}") from None
    _configure(conn)
    return conn


class PostgresConnection:
    """A pool of connections to one database; one thread at a time runs work on it."""

    def __init__(
        self, url: str, *, pool_size: int = 4, session: WorkerSession | None = None
    ) -> None:
        """`session`: a worker's (see WorkerSession), so that once its shard lease is gone,
        a worker frozen mid-transaction (SIGSTOP, a pause) holds no row locks for long."""
        self.url = url
        self.path = redacted(url)  # what messages call the store (the SQLite store's path)
        first = connect(url)
        try:
            apply_migrations(first, self.path)
            row = first.execute("SELECT store_id FROM store_identity").fetchone()
            self.store_id: str = str(row[0]) if row else ""
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the state store {self.path}: {exc}") from exc
        finally:
            first.close()
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={
                "autocommit": True,
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                **_session_options(session),
            },
            configure=_configure,
            check=ConnectionPool.check_connection,
            timeout=POOL_WAIT_SECONDS,
            open=False,
            name="journey-store",
        )
        self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        self._depth = 0
        self._tx: Connection | None = None  # pinned from BEGIN to COMMIT
        self._lock = threading.RLock()
        # Plans by content hash: immutable, so only what an undone transaction wrote or
        # read (`_plans_this_transaction`) can be wrong, and is forgotten at its rollback.
        self._plans: dict[str, Plan] = {}
        self._plans_this_transaction: list[str] = []
        self._ahead: ReadAhead | None = None
        self._pending_steps: list[tuple[Any, ...]] = []
        self.identity_check_seconds = IDENTITY_CHECK_SECONDS
        self._identity_checked = float("-inf")
        # Set by a worker that holds shard leases (journey.daemon.shard_keeper): claims
        # take due work of its own live shards only, and leased writes check the lease.
        self.sharded = False

    def _own_shards(self, worker: str, alias: str = "") -> tuple[str, tuple[Any, ...]]:
        """The condition 'the row's shard is held by `worker`, unexpired by the DB clock'."""
        if not self.sharded:
            return "", ()
        column = f"{alias}.shard" if alias else "shard"
        return (
            f" AND {column} IN (SELECT s.shard FROM shards s"
            " WHERE s.holder = %s AND s.expires_at > now())",
            (worker,),
        )

    # ------------------------------------------------------------ housekeeping
    @property
    def schema_version(self) -> int:
        row = self._one("SELECT MAX(version) FROM schema_version")
        return int(row[0] or 0)

    def table_names(self) -> list[str]:
        rows = self._all(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() ORDER BY table_name"
        )
        return [str(row[0]) for row in rows]

    def identity_problem(self) -> str | None:
        """Why the database is no longer the store opened (dropped and made again), or None.

        A database that cannot be reached now is not a different one: the pool
        reconnects, so that is no reason to stop. Asked of the server every 2 s at most.
        """
        if time.monotonic() - self._identity_checked < self.identity_check_seconds:
            return None
        self._identity_checked = time.monotonic()
        try:
            row = self._one("SELECT store_id FROM store_identity")
        except psycopg.errors.UndefinedTable:
            row = None
        except (psycopg.Error, StoreUnavailable):
            return None
        if row is None or str(row[0]) != self.store_id:
            return (
                f"the state store {self.path} was replaced by another database while open; "
                "stopping so nothing is written where no one will read it"
            )
        return None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                with self._reaching():
                    self._tx = self._pool.getconn()
                    try:
                        self._tx.execute("BEGIN")
                    except BaseException:
                        self._release_tx()
                        raise
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
                    self._end("ROLLBACK")
                    self._after_rollback()
                raise
            self._depth -= 1
            if self._depth == 0:
                self._forget_transaction()
                try:
                    self._end("COMMIT")
                except BaseException:
                    self._forget_undone_plans()
                    self._after_rollback()
                    raise
                self._plans_this_transaction.clear()
                self._after_commit()

    def _end(self, statement: str) -> None:
        assert self._tx is not None
        try:
            if not self._tx.closed:
                self._tx.execute(statement)
        except UNREACHABLE as exc:
            if statement == "COMMIT":  # whether the server committed before it went is unknown
                raise self._unreachable(exc, "did not answer the commit") from exc
        except psycopg.Error as exc:
            if statement == "COMMIT":
                raise StoreError(f"the state store {self.path} did not commit: {exc}") from exc
        finally:
            self._release_tx()

    def _release_tx(self) -> None:
        conn, self._tx = self._tx, None
        if conn is not None:
            self._pool.putconn(conn)  # a broken one is thrown away and replaced

    def _after_commit(self) -> None:
        """Work that must follow a commit, outside any transaction (erasure's scrub)."""

    def _after_rollback(self) -> None:
        """Forget what the undone transaction asked of `_after_commit`."""

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """One unit of work inside the open transaction, undone alone when it fails."""
        with self._lock:
            if self._depth == 0 or self._tx is None:
                raise StoreError("a savepoint needs an open transaction")
            self._flush_steps()
            tx = self._tx
            with self._reaching():
                tx.execute("SAVEPOINT unit_of_work")
            try:
                yield
            except BaseException:
                self._pending_steps.clear()
                self._ahead = None  # may describe rows the undone work wrote
                self._forget_undone_plans()
                with self._reaching():
                    tx.execute("ROLLBACK TO SAVEPOINT unit_of_work")
                    tx.execute("RELEASE SAVEPOINT unit_of_work")
                raise
            with self._reaching():
                tx.execute("RELEASE SAVEPOINT unit_of_work")

    def _forget_transaction(self) -> None:
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
        self._pool.close()

    # ------------------------------------------------------------- statements
    @contextmanager
    def _reaching(self) -> Iterator[None]:
        """Driver errors of a server that is away become StoreUnavailable (one clear line)."""
        try:
            yield
        except UNREACHABLE as exc:
            raise self._unreachable(exc) from exc

    def _unreachable(self, exc: BaseException, what: str = "cannot be reached") -> StoreUnavailable:
        lines = str(exc).strip().splitlines()
        reason = lines[0] if lines else type(exc).__name__
        state = str(getattr(exc, "sqlstate", "") or "")
        what = _SERVER_STATES.get(state) or _SERVER_STATES.get(state[:2]) or what
        return StoreUnavailable(f"the state store {self.path} {what}: {reason}")

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """The transaction's connection, else one from the pool for one statement."""
        with self._lock, self._reaching():
            if self._tx is not None:
                yield self._tx
                return
            with self._pool.connection() as conn:
                yield conn

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._connection() as conn:
            return conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._connection() as conn:
            return conn.execute(sql, params).fetchall()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute a write; the number of rows it touched."""
        with self._connection() as conn:
            return conn.execute(sql, params).rowcount

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for many rows (psycopg pipelines them: one round trip)."""
        if not rows:
            return
        with self._connection() as conn, conn.cursor() as cursor:
            if self._tx is not None:
                cursor.executemany(sql, rows)
            else:
                with conn.transaction():  # all rows or none, as inside a transaction
                    cursor.executemany(sql, rows)

    def _flush_steps(self) -> None:
        if not self._pending_steps:
            return
        rows = list(self._pending_steps)
        self._pending_steps.clear()
        self._many(
            "INSERT INTO step_history (enrollment_id, journey_id, contact_id, step_id, outcome,"
            " at, detail) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


__all__ = ["Connection", "PostgresConnection", "StoreReplaced", "connect", "redacted"]

"""Workers on a PostgreSQL database: each holds a shared session advisory lock while it runs.

Many `journey run` processes share one PostgreSQL database (they split the work
by shard leases, journey.daemon.shard_keeper), so the lock no longer keeps a
second one out: it tells writers (`journey ingest`) that a worker is running, so
they queue for it. PostgreSQL drops the lock when the session ends, so a worker
killed with -9 never leaves a stale one. The lock's connection is named
`journey run pid N on HOST`.
"""

from __future__ import annotations

import os
import socket
import time

import psycopg

from journey.daemon.lock import DaemonAlreadyRunning
from journey.errors import StoreError
from journey.store.postgres.connection import Connection, connect, redacted

DAEMON_LOCK = 0x4A524E59_0000  # "JRNY" + 0
CHECK_SECONDS = 2.0  # how often `lost` asks the server whether the session is alive
ACQUIRE_SECONDS = 2.0


class PostgresDaemonLock:
    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Connection | None = None
        self._checked = 0.0

    def acquire(self) -> None:
        conn = connect(self.url)
        name = f"journey run pid {os.getpid()} on {socket.gethostname()}"[:63]
        conn.execute("SELECT set_config('application_name', %s, false)", (name,))
        deadline = time.monotonic() + ACQUIRE_SECONDS
        while True:  # held exclusively only by a journey older than shard leases
            row = conn.execute("SELECT pg_try_advisory_lock_shared(%s)", (DAEMON_LOCK,)).fetchone()
            if row and row[0]:
                break
            if time.monotonic() > deadline:
                holder = _holder(conn)
                conn.close()
                who = f" ({holder})" if holder else ""
                raise DaemonAlreadyRunning(
                    f"a journey daemon{who} of an older version, which cannot share the work, "
                    f"runs on {redacted(self.url)}; stop it first"
                )
            time.sleep(0.1)
        self._conn = conn

    def lost(self) -> bool:
        """Is the lock gone for good? A session that ended (the server restarted, the network
        broke) is re-opened and the lock taken again; True when another daemon has it now."""
        if self._conn is not None:
            if time.monotonic() - self._checked < CHECK_SECONDS:
                return False
            self._checked = time.monotonic()
            try:
                self._conn.execute("SELECT 1")
                return False
            except psycopg.Error:
                self.release()
        try:
            self.acquire()
        except DaemonAlreadyRunning:
            return True
        except StoreError:
            return False  # unreachable now: no one else can take it either; asked again later
        return False

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()  # the session's advisory locks go with it

    def __enter__(self) -> PostgresDaemonLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class PostgresWriterAccess:
    """Is a daemon running on the database now? Never blocks one."""

    def __init__(self, url: str) -> None:
        self._conn: Connection | None = connect(url)

    def daemon_running(self) -> bool:
        assert self._conn is not None, "closed"
        row = self._conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND ((classid::bigint << 32) | objid::bigint) = %s)",
            (DAEMON_LOCK,),
        ).fetchone()
        return bool(row and row[0])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _holder(conn: Connection) -> str:
    """The application name of the session holding the daemon lock, if visible."""
    row = conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND ((l.classid::bigint << 32) | l.objid::bigint) = %s LIMIT 1",
        (DAEMON_LOCK,),
    ).fetchone()
    return str(row[0]) if row and row[0] else ""

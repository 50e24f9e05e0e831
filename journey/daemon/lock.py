"""One daemon per database: an exclusive `flock` on the database file itself, held for the process.

The lock is on the file's identity (its inode), not on a name beside it: a
symlinked or hard-linked path reaches the same inode and the same lock, and no
side file can be deleted to defeat it. The kernel drops the lock when the
process dies, kill -9 included, so a crashed daemon never leaves a stale lock.

Writers that are not daemons (`journey ingest`, `journey contacts import`) do
not take it: they only look, before each batch, whether a daemon holds it
(:class:`WriterAccess`), so a daemon can start while they run.

SQLite keeps POSIX locks on the same file and the kernel drops all of a
process's POSIX locks on a file when *any* descriptor of it is closed: the
descriptor here is closed only after the process's store connection is.
`<database>.pid` names the holder for the error message; it is only a note.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from journey.errors import JourneyError
from journey.store.sqlite_connection import prepare_store_file
from journey.store.url import is_postgres, sqlite_path

if TYPE_CHECKING:
    from journey.daemon.pg_lock import PostgresDaemonLock, PostgresWriterAccess

_RETRY_SECONDS = 1.0  # a writer's look holds the lock for microseconds; a daemon holds it for good


class DaemonAlreadyRunning(JourneyError):
    """Another `journey run` holds the database; raised at start-up, the CLI exits 2."""


def pid_path_for(database: Path) -> Path:
    real = Path(os.path.realpath(database))
    return real.with_name(real.name + ".pid")


def _open_store_fd(database: Path) -> int:
    """A descriptor on the store file (made first when missing), checked to be a journey store."""
    prepare_store_file(database)
    return os.open(database, os.O_RDONLY | os.O_CLOEXEC)


class DaemonLock:
    """Acquire with :meth:`acquire`; released by :meth:`release` or by the process ending."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.pid_path = pid_path_for(database)
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = _open_store_fd(self.database)
        deadline = time.monotonic() + _RETRY_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.02)
                    continue
                os.close(fd)
                holder = _read_pid(self.pid_path)
                who = f" (pid {holder})" if holder else ""
                raise DaemonAlreadyRunning(
                    f"another journey daemon{who} is already running on {self.database}; "
                    "stop it first (one daemon per database)"
                ) from None
        self._fd = fd
        with contextlib.suppress(OSError):  # only a note for the message above
            self.pid_path.write_text(f"{os.getpid()}\n")

    def lost(self) -> bool:
        """Never while the process runs: the kernel holds a file lock until it ends."""
        return self._fd is None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
            if _read_pid(self.pid_path) == str(os.getpid()):
                self.pid_path.unlink(missing_ok=True)

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class WriterAccess:
    """A writer's view of the daemon lock: is a daemon running now? Never blocks one."""

    def __init__(self, database: Path) -> None:
        self._fd: int | None = _open_store_fd(database)

    def daemon_running(self) -> bool:
        assert self._fd is not None, "closed"
        try:
            fcntl.flock(self._fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        return False

    def close(self) -> None:
        """After the store connection is closed (see the module's note on POSIX locks)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _read_pid(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()[:32]
    except OSError:
        return ""


def daemon_lock(location: str | Path) -> DaemonLock | PostgresDaemonLock:
    """The one-daemon lock of the store at `location` (a SQLite path or a store URL)."""
    if is_postgres(location):
        from journey.daemon.pg_lock import PostgresDaemonLock

        return PostgresDaemonLock(str(location))
    return DaemonLock(sqlite_path(location))


def writer_access(location: str | Path) -> WriterAccess | PostgresWriterAccess:
    if is_postgres(location):
        from journey.daemon.pg_lock import PostgresWriterAccess

        return PostgresWriterAccess(str(location))
    return WriterAccess(sqlite_path(location))

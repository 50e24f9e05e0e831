"""One daemon per database: an exclusive `flock` on `<database>.lock`, held for the process.

The kernel drops the lock when the process dies, kill -9 included, so a crashed
daemon never leaves a stale lock behind and a restart needs no clean-up.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from journey.errors import JourneyError


class DaemonAlreadyRunning(JourneyError):
    """Another `journey run` holds the database; raised at start-up, the CLI exits 2."""


def lock_path_for(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


class DaemonLock:
    """Acquire with :meth:`acquire`; released by :meth:`release` or by the process ending."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path_for(database)
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f" (pid {holder})" if holder else ""
            raise DaemonAlreadyRunning(
                f"another journey daemon{who} is already running on {self.path.with_suffix('')}; "
                "stop it first (one daemon per database)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""

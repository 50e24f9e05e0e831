"""The database file's identity: ours or not, which inode, and whether it is still at its path.

A journey store is marked with ``PRAGMA application_id`` when it is made, and it
is made whole in a temporary file and linked into place, so a file found at the
path is either a complete journey store or someone else's. What is at the path
is judged before SQLite touches it: a zero-length file (SQLite would silently
treat it as a new, empty store) and a file that is not a SQLite database, or
one made by another application, are refused with one clear line.

The identity of an open store is the (device, inode) pair of the file its path
names when it was opened. While the connection is open the kernel cannot reuse
that inode, so a path that now names another inode, or none, means the
database was deleted or replaced under us.

A file that a connection of this process has open is never opened and closed
again outside SQLite: the kernel drops *all* of a process's POSIX locks on a
file when any descriptor of it closes, SQLite's included. A second connection
in one process (the daemon's HTTP threads have their own) that read the header
with a plain `open()` would drop the first one's shared lock; another process
closing its connection would then think itself the last, checkpoint and delete
the WAL, and every later commit of this process would go to a deleted file,
acknowledged and lost. `hold`/`let_go` count this process's open connections
per inode, and `check_store_file` skips a file that is held (it was judged
when first opened).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from journey.errors import StoreError

APPLICATION_ID = 0x4A524E59  # "JRNY", in the SQLite header at offset 68
_MAGIC = b"SQLite format 3\x00"
_HEADER_BYTES = 100


class StoreReplaced(StoreError):
    """The database file was deleted or replaced under an open store: stop, do not go on."""


@dataclass(frozen=True, slots=True)
class FileIdentity:
    device: int
    inode: int

    @classmethod
    def of(cls, path: str | Path) -> FileIdentity:
        info = os.stat(path)
        return cls(info.st_dev, info.st_ino)


_HELD: Counter[FileIdentity] = Counter()  # this process's open connections, per inode
_VIEWS: dict[FileIdentity, int] = {}  # one read-only descriptor per held inode, for reading bytes
_HELD_LOCK = threading.Lock()


def hold(identity: FileIdentity) -> None:
    """A connection of this process has the file open (see the module's note on locks)."""
    with _HELD_LOCK:
        _HELD[identity] += 1


def let_go(identity: FileIdentity) -> None:
    with _HELD_LOCK:
        _HELD[identity] -= 1
        if _HELD[identity] <= 0:
            del _HELD[identity]
            view = _VIEWS.pop(identity, None)
            if view is not None:  # no connection of this process is left to lose its locks
                os.close(view)


def read_view(path: str | Path, identity: FileIdentity) -> int:
    """A read-only descriptor on a held store file, to read its bytes with; never close it.

    It stays open until the process's last connection to the file lets go, so
    reading the file (erasure's residue check) closes no descriptor while
    SQLite's locks are held.
    """
    with _HELD_LOCK:
        if identity not in _HELD:
            raise StoreError(f"{path} is not open in this process")
        view = _VIEWS.get(identity)
        if view is None:
            view = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            if FileIdentity(*_device_inode(view)) != identity:
                os.close(view)  # the path names another file now: not ours to read
                raise StoreReplaced(f"the state store {path} was replaced by another file")
            _VIEWS[identity] = view
        return view


def _device_inode(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


def is_held(path: Path) -> bool:
    """Does a connection of this process have the file now at `path` open?"""
    try:
        identity = FileIdentity.of(path)
    except OSError:
        return False
    with _HELD_LOCK:
        return identity in _HELD


def check_store_file(path: Path) -> None:
    """Refuse what is at `path` unless it is a SQLite file that may be a journey store.

    A missing file is fine (it will be made); application id 0 is a store made
    before the mark existed and is judged by its tables once open. A file this
    process has open already passed, and is not opened again (its locks).
    """
    if is_held(path):
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(_HEADER_BYTES)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"cannot read the state store {path}: {exc.strerror}") from None
    if not header:
        raise StoreError(
            f"{path} is an empty file (0 bytes), not a journey store; "
            "remove it to start a new store, or give the right path"
        )
    if len(header) < _HEADER_BYTES or not header.startswith(_MAGIC):
        raise StoreError(f"{path} is not a SQLite database, so not a journey store; refusing it")
    application_id = int.from_bytes(header[68:72], "big")
    if application_id not in (0, APPLICATION_ID):
        raise StoreError(
            f"{path} is a SQLite database of another application "
            f"(application_id {application_id:#x}), not a journey store; refusing it"
        )


def check_store_connection(conn: sqlite3.Connection, path: str) -> bool:
    """After opening: True when the store predates the mark and needs it set (legacy)."""
    application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if application_id == APPLICATION_ID:
        return False
    if application_id == 0:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "schema_version" in tables:
            return True
    raise StoreError(
        f"{path} is a SQLite database without the journey store's mark "
        "(application_id), not a journey store; refusing it"
    )


def create_store_file(path: Path, build: Callable[[sqlite3.Connection], None]) -> None:
    """Make a new store whole beside `path` and link it into place; a racing maker wins alone.

    `build` gets a connection to the temporary file and fills it (mark, schema).
    When another process made the store meanwhile, this one is thrown away.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    for leftover in _sidecars(temporary):
        leftover.unlink(missing_ok=True)
    conn = sqlite3.connect(str(temporary), isolation_level=None)
    try:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA journal_mode = WAL")
        build(conn)
    finally:
        conn.close()  # the last connection: SQLite folds the WAL into the file
    try:
        _fsync(temporary)
        with contextlib.suppress(FileExistsError):  # another maker won: theirs is the store
            os.link(temporary, path)
        _fsync(path.parent)
    finally:
        for leftover in _sidecars(temporary):
            leftover.unlink(missing_ok=True)


def _sidecars(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replaced_problem(path: str, opened: FileIdentity) -> str | None:
    """Why the file at `path` is no longer the one opened as `opened`, or None."""
    try:
        now = FileIdentity.of(path)
    except FileNotFoundError:
        return f"the state store {path} was deleted while open; stopping so nothing more is lost"
    except OSError as exc:
        return f"the state store {path} cannot be checked ({exc.strerror}); stopping"
    if now != opened:
        return (
            f"the state store {path} was replaced by another file while open; "
            "stopping so nothing is written where no one will read it"
        )
    return None

"""The outbox file: whole-line appends that never leave a torn record, and reading it back.

Every writer takes an exclusive ``flock`` on the file for an append, a repair
or a rewrite. An append that fails half-way (disk full, file size limit) is cut
back to where it started, so the records before it stay readable and the next
append starts on a clean line. A crash mid-append can still leave an
incomplete last line: readers flag it (:class:`OutboxDamage`) and skip it, and
the next writer cuts it off when it opens the file. A rewrite (erasure) writes
a new file beside the old one and renames it over; appenders notice the new
inode under the lock and reopen.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from journey.errors import JourneyError

_CHUNK = 65536


@dataclass(slots=True)
class OutboxDamage:
    """What a read found wrong: an incomplete last line, and lines that are not records."""

    torn_tail_bytes: int = 0
    torn_tail_line: int = 0
    bad_lines: list[int] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.torn_tail_bytes and not self.bad_lines


def encode(record: Mapping[str, Any]) -> bytes:
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8") + b"\n"


def open_for_append(path: Path) -> tuple[int, int]:
    """An append descriptor on `path` with any torn tail cut off; returns (fd, bytes cut)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        cut = cut_torn_tail(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
    return fd, cut


def is_current(fd: int, path: Path) -> bool:
    """Is `fd` still the file at `path` (not renamed over by a rewrite)?"""
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)


def append_locked(fd: int, data: bytes) -> None:
    """Append `data` under the caller's lock; on failure the file is as it was before."""
    start = os.fstat(fd).st_size
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except OSError:
        with contextlib.suppress(OSError):  # freeing space by truncating rarely fails
            os.ftruncate(fd, start)
        raise


def cut_torn_tail(fd: int) -> int:
    """Drop an incomplete last line left by a crash; returns the bytes cut."""
    size = os.fstat(fd).st_size
    keep = _complete_end(fd, size)
    if keep == size:
        return 0
    os.ftruncate(fd, keep)
    return size - keep


def _complete_end(fd: int, size: int) -> int:
    """Where the file's last complete line ends (0 if it has none)."""
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return size
    position = size
    while position > 0:
        start = max(0, position - _CHUNK)
        block = os.pread(fd, position - start, start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        position = start
    return 0


def read_outbox(path: Path, damage: OutboxDamage | None = None) -> Iterator[dict[str, Any]]:
    """Yield the records of an outbox; an incomplete last line is skipped and flagged.

    With `damage` given, lines that are not JSON objects are skipped and listed
    there too; without it such a line is an error naming it (someone else wrote
    to the file), after the records before it were yielded.
    """
    found = damage if damage is not None else OutboxDamage()
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise JourneyError(f"cannot read outbox {path}: {exc.strerror}") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                found.torn_tail_bytes, found.torn_tail_line = len(raw), number
                return  # torn by a crash or still being written
            if not raw.strip():
                continue
            record = _record(raw)
            if record is None:
                if damage is None:
                    raise JourneyError(f"{path}:{number}: not a JSON line")
                found.bad_lines.append(number)
                continue
            yield record


def _record(raw: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def written_among(path: Path, keys: Set[str], since: datetime) -> set[str]:
    """Which of `keys` the file holds, read from its end back to the first record written
    before `since` (or until every key is found): a delivery due at `since` cannot have
    been written earlier, however many lines other writers added after it."""
    found: set[str] = set()
    if not keys:
        return found
    for record in _backwards(path):
        written = _written_at(record)
        if written is not None and written < since:
            break
        key = record.get("delivery_key")
        if key in keys:
            found.add(str(key))
            if len(found) == len(keys):
                break
    return found


def _backwards(path: Path) -> Iterator[dict[str, Any]]:
    """The file's complete records, newest first, read in chunks from its end."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        position = _complete_end(fd, os.fstat(fd).st_size)  # a torn last line is no record
        rest = b""  # a line's end, read before the chunk that holds its start
        while position > 0:
            start = max(0, position - _CHUNK)
            data = os.pread(fd, position - start, start) + rest  # ends with a newline
            position = start
            lines = data.split(b"\n")[:-1]
            rest = lines.pop(0) + b"\n" if position > 0 else b""
            for line in reversed(lines):
                record = _record(line) if line.strip() else None
                if record is not None:
                    yield record
    finally:
        os.close(fd)


def _written_at(record: Mapping[str, Any]) -> datetime | None:
    try:
        written = datetime.fromisoformat(str(record["written_at"]))
    except (KeyError, ValueError):
        return None
    return written if written.tzinfo is not None else None


def rewrite_without(path: Path, drop: Callable[[dict[str, Any]], bool]) -> int:
    """Rewrite the outbox without the records `drop` picks, atomically; returns how many went.

    Lines that are not records (torn ones) go too: they may hold a piece of one.
    """
    if not path.exists():
        return 0
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not is_current(fd, path):  # another rewrite renamed it over meanwhile
            return rewrite_without(path, drop)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.rewrite")
        dropped = 0
        with path.open("rb") as source, temporary.open("wb") as target:
            for raw in source:
                record = _record(raw) if raw.endswith(b"\n") else None
                if record is None or drop(record):
                    dropped += raw.strip() != b""
                    continue
                target.write(raw)
            target.flush()
            os.fsync(target.fileno())
        if dropped:
            os.replace(temporary, path)
            _fsync_folder(path.parent)
        else:
            temporary.unlink()
        return dropped
    finally:
        os.close(fd)  # the lock goes with it; waiting appenders see the new inode


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

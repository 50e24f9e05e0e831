"""Opens the files a workspace reads, only under its root: no symlink, no `..`, no absolute escape.

A git clone keeps symbolic links, so a template, layout, include, catalog or
journey file could point at `/proc/self/environ` or `~/.ssh`. Every reader of
workspace content goes through here. The path is walked one component at a
time from an open descriptor of the root (`openat`-style, `O_NOFOLLOW` on each
component), so no component can be a symbolic link, not even one pointing
back inside the workspace, and a link swapped in between a check and the read
is refused too. Only regular files are read (no FIFO, device or socket).
The root itself is what the user named and may be reached through a link.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from journey.errors import JourneyError

CODE = "file-outside-workspace"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class OutsideWorkspace(JourneyError):
    """A path that leaves the workspace root, or runs through a symbolic link."""

    code = CODE

    def __init__(self, shown: str, reason: str) -> None:
        super().__init__(f"{shown} {reason}; only files inside the workspace are read")
        self.shown = shown
        self.reason = reason


@dataclass(frozen=True, slots=True)
class WorkspaceFile:
    """The bytes of one file and the stat of what was read (not of a path looked up again)."""

    data: bytes
    mtime_ns: int
    size: int


def parts_under(root: Path, path: Path | str) -> tuple[str, ...]:
    """`path` (as given: absolute, or relative to the current folder) as its components
    under `root`. Raises OutsideWorkspace for `..`, a path elsewhere, or the root itself.
    """
    raw = os.fspath(path)
    candidate = Path(raw) if os.path.isabs(raw) else Path.cwd() / raw
    relative = _relative_to(candidate, root)
    if relative is None:
        raise OutsideWorkspace(raw, "is outside the workspace")
    return _clean(raw, relative.parts)


def template_parts(templates: tuple[str, ...], name: str) -> tuple[str, ...]:
    """A template name (`layouts/base.html`) as components under the root; a name
    starting with `/` or holding `..` is refused, never read elsewhere."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise OutsideWorkspace(name, "is an absolute path")
    return (*templates, *_clean(name, name.replace("\\", "/").split("/")))


def _clean(raw: str, parts: Iterable[str]) -> tuple[str, ...]:
    kept = tuple(part for part in parts if part not in ("", "."))
    if ".." in kept:
        raise OutsideWorkspace(raw, "climbs out with `..`")
    if not kept:
        raise OutsideWorkspace(raw, "names no file")
    return kept


def _relative_to(path: Path, root: Path) -> Path | None:
    for base in (root.absolute(), root.resolve()):
        try:
            return path.relative_to(base)
        except ValueError:
            continue
    return None


def _display(parts: tuple[str, ...], upto: int) -> str:
    return "/".join(parts[: upto + 1])


def _refusal(dir_fd: int, parts: tuple[str, ...], index: int, exc: OSError) -> Exception:
    """What a failed open of `parts[index]` means: a link is OutsideWorkspace; else the OSError."""
    if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        try:
            info = os.stat(parts[index], dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            return exc
        if stat.S_ISLNK(info.st_mode):
            return OutsideWorkspace(_display(parts, index), "is a symbolic link")
    return exc


@contextmanager
def _folder(root: Path, parts: tuple[str, ...]) -> Iterator[int]:
    """A descriptor of the folder holding `parts[-1]`, every folder opened without following."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for index, part in enumerate(parts[:-1]):
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise _refusal(fd, parts, index, exc) from exc
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


def read_file(root: Path, path: Path | str, *, max_bytes: int | None = None) -> WorkspaceFile:
    """Read a regular file under `root`; at most `max_bytes + 1` bytes when a limit is given.

    Raises OutsideWorkspace (a link or an escape), FileNotFoundError, or another OSError.
    """
    parts = parts_under(root, path)
    return read_parts(root, parts, max_bytes=max_bytes)


def read_parts(
    root: Path, parts: tuple[str, ...], *, max_bytes: int | None = None
) -> WorkspaceFile:
    with _folder(root, parts) as folder:
        try:
            fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=folder)
        except OSError as exc:
            raise _refusal(folder, parts, len(parts) - 1, exc) from exc
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder", "/".join(parts))
        if not stat.S_ISREG(info.st_mode):
            raise OutsideWorkspace("/".join(parts), "is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    finally:
        os.close(fd)
    return WorkspaceFile(data=data, mtime_ns=info.st_mtime_ns, size=info.st_size)


def stat_parts(root: Path, parts: tuple[str, ...]) -> os.stat_result | None:
    """The stat of `parts` under `root` without following anything; None when it is absent.

    Raises OutsideWorkspace when it or a folder on the way is a symbolic link.
    """
    try:
        with _folder(root, parts) as folder:
            info = os.stat(parts[-1], dir_fd=folder, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISLNK(info.st_mode):
        raise OutsideWorkspace("/".join(parts), "is a symbolic link")
    return info


def probe(root: Path, path: Path | str) -> str | None:
    """ "file", "folder", "other" or None (absent); raises OutsideWorkspace like the readers."""
    info = stat_parts(root, parts_under(root, path))
    if info is None:
        return None
    if stat.S_ISREG(info.st_mode):
        return "file"
    return "folder" if stat.S_ISDIR(info.st_mode) else "other"


def walk_files(root: Path, folder: str) -> Iterator[tuple[str, ...]]:
    """Every regular file under `root/folder`, as components; links are not listed or entered."""
    base = root.absolute() / folder
    if probe_quietly(root, base) != "folder":
        return
    for directory, dirs, names in os.walk(base, followlinks=False):
        here = Path(directory).relative_to(root.absolute()).parts
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(directory, d)))
        for name in sorted(names):
            full = os.path.join(directory, name)
            if not os.path.islink(full) and os.path.isfile(full):
                yield (*here, name)


def inside(root: Path, path: Path | str) -> bool:
    """Whether `path` lies under `root` as written (`..` and links not yet looked at)."""
    raw = os.fspath(path)
    return _relative_to(Path(raw) if os.path.isabs(raw) else Path.cwd() / raw, root) is not None


def safe_mtime(templates_dir: Path, name: str) -> int | None:
    """The mtime of a template that may be read; None when absent or refused."""
    try:
        info = template_stat(templates_dir, name)
    except (OutsideWorkspace, OSError):
        return None
    return info.st_mtime_ns if info is not None and stat.S_ISREG(info.st_mode) else None


def template_stat(templates_dir: Path, name: str) -> os.stat_result | None:
    """The stat of a template (None when absent); raises OutsideWorkspace like the loader."""
    root = templates_dir.absolute().parent
    return stat_parts(root, template_parts(parts_under(root, templates_dir.absolute()), name))


def probe_quietly(root: Path, path: Path | str) -> str | None:
    """Like `probe`, but a refused path reads as "outside" instead of raising."""
    try:
        return probe(root, path)
    except OutsideWorkspace:
        return "outside"

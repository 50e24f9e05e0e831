"""A store from a URL: `sqlite:///path/to/state.db`, or a plain path (SQLite too).

The one place a store is constructed; every command and shell opens its store
here (through journey.assembly), so a new backend is one more scheme below.
"""

from __future__ import annotations

from pathlib import Path

from journey.errors import UsageError
from journey.store.abc import StateStore

SQLITE_PREFIX = "sqlite:///"
MEMORY = ":memory:"


def sqlite_path(url: str | Path) -> Path | None:
    """The file a SQLite URL or path names; None for another scheme or `:memory:`."""
    text = str(url)
    if text == MEMORY or text == "sqlite://" or text == f"{SQLITE_PREFIX}{MEMORY}":
        return None
    if text.startswith(SQLITE_PREFIX):
        return Path(text[len(SQLITE_PREFIX) :])
    if "://" in text:
        return None
    return Path(text)


def open_store(url: str | Path) -> StateStore:
    """Open (and migrate) the store `url` names; `:memory:` gives a throw-away one."""
    from journey.store.sqlite import SQLiteStore

    text = str(url)
    path = sqlite_path(text)
    if path is not None:
        return SQLiteStore(path)
    if text in (MEMORY, "sqlite://", f"{SQLITE_PREFIX}{MEMORY}"):
        return SQLiteStore(MEMORY)
    scheme = text.split("://", 1)[0]
    raise UsageError(f"store URL {text!r}: unknown scheme {scheme!r} (supported: sqlite)")

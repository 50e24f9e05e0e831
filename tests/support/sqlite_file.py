"""A plain SQLite connection to a store file, for tests that look under the store; closed after.

`with sqlite3.connect(path) as conn:` commits but does not close, and a
connection is kept alive by a reference cycle (its statement cache) until the
garbage collector runs. A connection left open that way breaks the store's
rule on POSIX locks (journey.store.identity): the next store opened in the
process reads the header with its own descriptor, and closing that drops the
forgotten connection's locks, so another process can delete the WAL under it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def sqlite_file(path: str | Path, **options: Any) -> Iterator[sqlite3.Connection]:
    """Commit on success, roll back on an error, and close either way."""
    conn = sqlite3.connect(path, **options)
    try:
        with conn:
            yield conn
    finally:
        conn.close()

"""Two store connections in one process (the daemon's worker and its HTTP threads).

Opening the second must not drop the first one's SQLite locks (the kernel drops
all of a process's POSIX locks on a file when any descriptor of it is closed).
When it did, another process closing its connection thought itself the last,
checkpointed and deleted the WAL, and the daemon's later commits went to a
deleted file: acknowledged clicks that no other process ever saw.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from journey.model import Contact, Event
from journey.store.sqlite import SQLiteStore

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
READ = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
print(",".join(row[0] for row in conn.execute("SELECT id FROM events ORDER BY id")))
conn.close()
"""


def _event(event_id: str) -> Event:
    return Event(id=event_id, name="clicked", contact_id="c1", timestamp=NOW, received_at=NOW)


def _seen_by_another_process(path: Path) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", READ, str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    return out.split(",") if out else []


def test_a_second_connection_keeps_the_first_ones_commits_visible_to_other_processes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    worker = SQLiteStore(path)
    try:
        assert worker.add_event(_event("before"))
        http_threads = SQLiteStore(path)  # the daemon's HTTP hooks open their own
        try:
            assert _seen_by_another_process(path) == ["before"]  # opens and closes there
            assert worker.add_event(_event("after"))
            assert http_threads.add_event(_event("from-http"))
            assert _seen_by_another_process(path) == ["after", "before", "from-http"]
        finally:
            http_threads.close()
        assert worker.add_event(_event("last"))
        assert _seen_by_another_process(path) == ["after", "before", "from-http", "last"]
    finally:
        worker.close()
    assert _seen_by_another_process(path) == ["after", "before", "from-http", "last"]


def test_erasing_a_contact_keeps_the_daemons_later_commits_visible_to_other_processes(
    tmp_path: Path,
) -> None:
    """Erasure reads the file for what is left of the person; that read drops no lock."""
    path = tmp_path / "state.db"
    worker = SQLiteStore(path)
    http_threads = SQLiteStore(path)
    try:
        worker.put_contact(Contact(id="astrid-1", email="astrid@test.example", created_at=NOW))
        assert worker.add_event(_event("before"))
        assert worker.delete_contact("astrid-1")  # scrubs: checkpoint, residue check
        assert worker.unscrubbed() == 0
        assert _seen_by_another_process(path) == ["before"]  # opens and closes there
        assert worker.add_event(_event("after"))
        assert _seen_by_another_process(path) == ["after", "before"]
    finally:
        http_threads.close()
        worker.close()

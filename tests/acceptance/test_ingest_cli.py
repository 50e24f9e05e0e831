"""An operator feeds events and contacts from files: `journey ingest`, `journey contacts import`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from journey.cli.main import cli
from journey.daemon.lock import DaemonLock
from journey.store.sqlite import SQLiteStore
from tests.support.sqlite_file import sqlite_file

ROOT = Path(__file__).resolve().parents[2]
JOURNEY = "onboarding-welcome"


@pytest.fixture(scope="module")
def template_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's workspace (examples, templates, catalogs), copied once."""
    base = tmp_path_factory.mktemp("workspace")
    shutil.copy(ROOT / "workspace.yaml", base / "workspace.yaml")
    for name in ("templates", "locales", "journeys"):
        shutil.copytree(ROOT / name, base / name)
    return base


@pytest.fixture
def workspace(template_workspace: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(template_workspace, root)
    return root


def run(workspace: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(workspace), *args])
    return result.exit_code, result.stdout, result.stderr


def jsonl(path: Path, *records: Any) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
        encoding="utf-8",
    )
    return path


def store_of(workspace: Path) -> SQLiteStore:
    return SQLiteStore(workspace / ".journey" / "state.db")


def just_now(minutes: int = 1) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


def signed_up(contact_id: str, timestamp: str | None = None) -> dict[str, Any]:
    return {
        "id": f"signup-{contact_id}",
        "name": "signed_up",
        "contact_id": contact_id,
        "timestamp": timestamp or just_now(),
        "properties": {"plan": "trial"},
    }


def trial_contact(contact_id: str) -> dict[str, Any]:
    return {
        "id": contact_id,
        "email": f"{contact_id}@example.com",
        "locale": "sv-SE",
        "timezone": "Europe/Stockholm",
        "consent": {"email": True},
        "country": "SE",
        "first_name": "Astrid",
    }


# ----------------------------------------------------------------------- contacts


def test_contacts_import_upserts_and_reports_bad_lines(workspace: Path, tmp_path: Path) -> None:
    first = jsonl(tmp_path / "a.jsonl", trial_contact("c1"), trial_contact("c2"))
    assert run(workspace, "contacts", "import", str(first))[:2] == (
        0,
        "2 created, 0 updated, 0 deleted, 0 bad lines\n",
    )
    second = jsonl(
        tmp_path / "b.jsonl",
        {"id": "c1", "plan": "trial", "first_name": None},
        {"id": 3},
        "{not json",
        {"id": "c2", "delete": True},
    )
    code, out, err = run(workspace, "contacts", "import", str(second))
    assert code == 1
    assert (
        out == "0 created, 1 updated, 1 deleted, 2 bad lines (2 of 4 lines accepted, 2 refused)\n"
    )
    assert f"{second}:2: error: `id` must be a string, not the number 3" in err
    assert f"{second}:3: error: invalid JSON" in err
    store = store_of(workspace)
    c1 = store.get_contact("c1")
    assert c1 is not None
    assert c1.attributes == {"country": "SE", "plan": "trial"}  # merged, null deleted
    assert c1.consent == {"email": True}
    assert store.get_contact("c2") is None


# ------------------------------------------------------------------------- events


def test_ingest_stores_events_and_fires_triggers(workspace: Path, tmp_path: Path) -> None:
    run(workspace, "contacts", "import", str(jsonl(tmp_path / "c.jsonl", trial_contact("c1"))))
    viewed = {"name": "brew_guide_viewed", "contact_id": "c1", "timestamp": just_now()}
    events = jsonl(tmp_path / "e.jsonl", signed_up("c1"), viewed)
    code, out, err = run(workspace, "ingest", str(events))
    assert (code, out) == (0, "2 stored, 0 duplicates skipped, 0 bad lines\n"), err
    store = store_of(workspace)
    assert store.count_enrollments(JOURNEY, "c1") == 1
    # re-ingesting the same file is idempotent
    code, out, _ = run(workspace, "ingest", str(events))
    assert (code, out) == (0, "0 stored, 2 duplicates skipped, 0 bad lines\n")
    assert store.count_enrollments(JOURNEY, "c1") == 1


def test_old_events_and_history_flag_enroll_nobody(workspace: Path, tmp_path: Path) -> None:
    contacts = jsonl(tmp_path / "c.jsonl", trial_contact("old"), trial_contact("backfill"))
    run(workspace, "contacts", "import", str(contacts))
    stale = signed_up("old", timestamp=just_now(minutes=3 * 24 * 60))  # older than 24h
    assert run(workspace, "ingest", str(jsonl(tmp_path / "old.jsonl", stale)))[0] == 0
    fresh = jsonl(tmp_path / "backfill.jsonl", signed_up("backfill"))
    code, out, _ = run(workspace, "ingest", "--history", str(fresh))
    assert (code, out) == (0, "1 stored, 0 duplicates skipped, history only, 0 bad lines\n")
    store = store_of(workspace)
    now = datetime.now(UTC)
    for contact_id in ("old", "backfill"):
        assert store.count_events(contact_id, "signed_up", None, now) == 1
        assert store.count_enrollments(JOURNEY, contact_id) == 0


def test_bad_event_lines_are_reported_with_file_and_line(workspace: Path, tmp_path: Path) -> None:
    events = jsonl(
        tmp_path / "e.jsonl",
        {"name": "signed_up", "contact_id": "c1", "timestamp": "2026-03-02T14:05:00+01:00"},
        {"name": "signed_up", "contact_id": "c1", "timestamp": "2026-03-02T14:05:00"},
        "",
        {"name": "signed_up", "contact_id": 17},
        '"just a string"',
    )
    code, out, err = run(workspace, "ingest", str(events))
    assert code == 1
    assert out == "1 stored, 0 duplicates skipped, 3 bad lines (1 of 4 lines accepted, 3 refused)\n"
    assert err.splitlines() == [
        f"{events}:2: error: `timestamp`: `2026-03-02T14:05:00` has no time zone; "
        "add `Z` or an offset such as +01:00",
        f'{events}:4: error: `contact_id` must be a string, not the number 17 (write "17")',
        f"{events}:5: error: an event must be a JSON object, not `just a string`",
    ]


def test_missing_file_is_a_usage_error(workspace: Path) -> None:
    code, _, err = run(workspace, "ingest", str(workspace / "nope.jsonl"))
    assert code == 2 and "no such file" in err
    code, _, err = run(workspace, "contacts", "import", str(workspace / "nope.jsonl"))
    assert code == 2 and "no such file" in err
    assert not (workspace / ".journey" / "state.db").exists()  # nothing was opened


def test_large_file_is_committed_in_batches(workspace: Path, tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    with path.open("w") as handle:
        for i in range(2500):
            handle.write(
                json.dumps(
                    {
                        "name": "brew_guide_viewed",
                        "contact_id": f"c{i % 50}",
                        "timestamp": "2026-03-02T10:00:00Z",
                        "properties": {"n": i},
                    }
                )
                + "\n"
            )
    code, out, _ = run(
        workspace, "ingest", "--history", "--batch-size", "1000", "--progress", str(path)
    )
    assert (code, out) == (0, "2500 stored, 0 duplicates skipped, history only, 0 bad lines\n")
    with sqlite_file(workspace / ".journey" / "state.db") as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2500


def test_with_a_daemon_running_events_go_to_its_inbox(workspace: Path, tmp_path: Path) -> None:
    database = workspace / ".journey" / "state.db"
    holder = _hold_lock(database)
    try:
        event = signed_up("c1")
        events = jsonl(tmp_path / "e.jsonl", event, event)
        code, out, _ = run(workspace, "ingest", str(events))
        assert (code, out) == (
            0,
            "0 stored, 1 queued for the running daemon, 1 duplicates skipped, 0 bad lines\n",
        )
        store = store_of(workspace)
        assert store.inbox_size() == 1
        assert store.count_enrollments(JOURNEY, "c1") == 0  # the daemon's job, not ours
    finally:
        holder.kill()
        holder.wait()


def _hold_lock(database: Path) -> subprocess.Popen[bytes]:
    """Another process holding the daemon lock, as `journey run` does."""
    code = (
        "import sys, time; from pathlib import Path;"
        "from journey.daemon.lock import DaemonLock;"
        f"DaemonLock(Path({str(database)!r})).acquire(); print('held', flush=True); time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"held\n"
    return process


def test_a_daemon_can_start_while_ingest_runs(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest is a writer, not a daemon: it never holds the daemon lock."""
    seen: list[bool] = []
    original = SQLiteStore.add_events

    def spy(self: SQLiteStore, event: Any) -> None:
        lock = DaemonLock(workspace / ".journey" / "state.db")
        try:
            lock.acquire()
        except Exception:
            seen.append(False)
        else:
            lock.release()
            seen.append(True)
        return original(self, event)

    events = jsonl(tmp_path / "e.jsonl", {"name": "brew_guide_viewed", "contact_id": "c1"})
    monkeypatch.setattr(SQLiteStore, "add_events", spy)
    assert run(workspace, "ingest", "--history", str(events))[0] == 0
    assert seen == [True]

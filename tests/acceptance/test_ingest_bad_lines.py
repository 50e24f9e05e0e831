"""An operator's file with some bad lines: each reported as FILE:LINE, the good ones kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from journey.clock import SystemClock
from journey.daemon.lock import WriterAccess
from journey.errors import StoreError
from journey.ingest import RecordError
from journey.intake import Session, one_alone
from journey.model import Contact
from journey.store.sqlite import SQLiteStore
from journey.workspace import Workspace
from tests.acceptance import test_ingest_cli as shared
from tests.acceptance.test_ingest_cli import jsonl, run, signed_up, store_of
from tests.support.sqlite_file import sqlite_file

template_workspace = shared.template_workspace  # the fixtures, shared
workspace = shared.workspace

BAD_CONTACT_LINES = [
    '{"id": "bad-ts", "created_at": "9999-12-31T23:59:59-12:00"}',
    '{"id": "bad-inf", "points": 1e400}',
    '{"id": "bad-nan", "points": NaN}',
    '{"id": "bad-big", "points": 123456789012345678901234567890}',
    '{"id": "bad-name", "first_name": "Ann\\ud800"}',
    '{"id": "bad-nul", "first_name": "Ann\\u0000"}',
    '{"id": "bad-mail", "email": "a@example.com\\r\\nBcc: victim@example.com"}',
    '{"id": "bad-list", "email": "a@example.com, b@example.com"}',
]


def test_contacts_import_keeps_the_good_lines_and_reports_each_bad_one(
    workspace: Path, tmp_path: Path
) -> None:
    lines = ['{"id": "good-1", "email": "a@example.com"}', *BAD_CONTACT_LINES]
    lines.append('{"id": "good-2", "points": 9223372036854775807, "first_name": "Åsa"}')
    path = jsonl(tmp_path / "contacts.jsonl", *lines)
    code, out, err = run(workspace, "contacts", "import", str(path))
    assert code == 1
    assert out == (
        "2 created, 0 updated, 0 deleted, 8 bad lines (2 of 10 lines accepted, 8 refused)\n"
    )
    reported = [line.split(": error: ")[0] for line in err.splitlines()]
    assert reported == [f"{path}:{n}" for n in range(2, 10)]
    assert "outside the years 1900..2999" in err and "not a finite number" in err
    store = store_of(workspace)
    assert store.count_contacts() == 2
    with sqlite_file(store.path) as db:  # the table stays queryable as JSON
        rows = db.execute("SELECT json_extract(attributes, '$.points') FROM contacts").fetchall()
    assert set(rows) == {(None,), (9223372036854775807,)}


@pytest.mark.parametrize(
    "bad",
    [
        '{"name": "x", "contact_id": "c1", "timestamp": "9999-12-31T23:59:59-12:00"}',
        '{"name": "x", "contact_id": "c1", "timestamp": 1e400}',
        '{"name": "x", "contact_id": "c1", "properties": {"total": 1e400}}',
        '{"name": "x", "contact_id": "c1\\ud800"}',
        '{"name": "x\\u0000", "contact_id": "c1"}',
    ],
)
def test_one_bad_event_line_no_longer_aborts_the_whole_ingest(
    workspace: Path, tmp_path: Path, bad: str
) -> None:
    good = [signed_up(f"c{n}") for n in range(3)]
    path = jsonl(tmp_path / "events.jsonl", good[0], bad, good[1], good[2])
    code, out, err = run(workspace, "ingest", "--history", "--batch-size", "2", str(path))
    assert code == 1, err
    assert out.startswith("3 stored, 0 duplicates skipped, history only, 1 bad line (3 of 4")
    assert err.startswith(f"{path}:2: error: ")
    assert len(err.splitlines()) == 1


def test_an_event_id_reused_for_other_content_is_a_conflict_not_a_silent_drop(
    workspace: Path, tmp_path: Path
) -> None:
    first = signed_up("c1", timestamp="2026-03-01T10:00:00Z")
    other = {**first, "properties": {"plan": "paid"}}
    path = jsonl(tmp_path / "e.jsonl", first, first, other)
    code, out, err = run(workspace, "ingest", "--history", str(path))
    assert code == 1
    assert out.startswith("1 stored, 1 duplicates skipped, history only, 1 bad line")
    assert err == (
        f"{path}:3: error: event id `signup-c1` was already used for an event with different"
        " content (name, contact_id, timestamp or properties); give this event its own id\n"
    )
    again = jsonl(tmp_path / "again.jsonl", other)  # also against what is stored already
    code, _, err = run(workspace, "ingest", str(again))
    assert code == 1 and "already used" in err
    assert run(workspace, "ingest", str(jsonl(tmp_path / "same.jsonl", first)))[0] == 0


def test_a_line_the_engine_cannot_process_is_undone_alone_and_reported(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    access = WriterAccess(tmp_path / "state.db")
    session = Session(
        workspace=Workspace(root=tmp_path), store=store, clock=SystemClock(), access=access
    )

    def half_done() -> str:
        store.put_contact(Contact(id="half"))
        raise KeyError("a bug")

    def environment() -> str:
        raise StoreError("database is locked")

    with store.transaction():
        assert one_alone(session, lambda: "created") == "created"
        outcome = one_alone(session, half_done)
        store.put_contact(Contact(id="next"))
    assert isinstance(outcome, RecordError) and "KeyError" in str(outcome)
    assert store.get_contact("half") is None and store.get_contact("next") is not None
    with pytest.raises(StoreError), store.transaction():
        one_alone(session, environment)
    store.close()
    access.close()

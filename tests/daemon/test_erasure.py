"""Erasure is complete and final: no byte of the person left in the state folder, none recreated."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from journey.channels import read_outbox
from journey.daemon import inbox
from journey.daemon.hooks import HttpHooks
from journey.ingest import parse_contact, parse_event
from journey.model import Contact
from journey.store.sqlite import SQLiteStore
from journey.store.sqlite_erasure import ContactErased
from tests.daemon.conftest import START, DaemonHarness
from tests.daemon.crash_harness import ROOT
from tests.daemon.workspace_factory import make_workspace, signups

ADDRESS = "ottilie.quasimodo-erase@example.com"
NAME = "Ottilie Zwörkström"
PERSON = "erase-me-7"
OTHER = "keep-me-1"


def state_workspace(tmp_path: Path) -> Path:
    """The usual test workspace with its database and outbox in the state folder `.journey/`."""
    root = make_workspace(tmp_path / "ws")
    (root / "workspace.yaml").write_text(
        "channels:\n  email: { kind: outbox, message: email, path: .journey/outbox.jsonl }\n"
        'database: ".journey/state.db"\n'
    )
    return root


def encodings(text: str) -> list[bytes]:
    """The forms a string trivially takes in files: UTF-8, UTF-16, JSON- and HTML-escaped."""
    forms = {text.encode(), text.encode("utf-16-le"), text.encode("utf-16-be")}
    forms.add(json.dumps(text)[1:-1].encode())
    forms.add(html.escape(text).encode())
    forms.add(text.encode("ascii", "xmlcharrefreplace"))
    return sorted(forms)


def leftovers(folder: Path, *texts: str) -> list[str]:
    """Every file under `folder` (db, -wal, -shm, outbox, notes) that holds any form of `texts`."""
    needles = [form.lower() for text in texts for form in encodings(text)]
    needles += [t.lower().encode() for text in texts for t in text.split() if len(t) >= 6]
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        found += [f"{path.name}: {n!r}" for n in needles if n in data]
    return found


def person(**extra: object) -> dict[str, object]:
    return {"id": PERSON, "email": ADDRESS, "first_name": NAME, "consent": {"email": True}, **extra}


def bystander() -> dict[str, object]:
    return {
        "id": OTHER,
        "email": "keep@example.com",
        "first_name": "Kept",
        "consent": {"email": True},
    }


def run_journey_for_both(harness: DaemonHarness) -> None:
    now = harness.clock.now()
    inbox.enqueue_contacts(harness.store, [person(), bystander()], now)
    for n in range(3):  # old versions of the row, with the address in them
        inbox.enqueue_contacts(harness.store, [person(plan=f"plan-{n}")], now)
    events = [parse_event(r, received_at=now) for r in signups([PERSON, OTHER], now.isoformat())]
    inbox.enqueue_events(harness.store, events, now)
    harness.run_for(5)


def test_erase_leaves_no_byte_of_the_person_in_any_file_and_nothing_recreates_them(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = state_workspace(tmp_path)
    harness = harness_factory(root)
    run_journey_for_both(harness)
    state = root / ".journey"
    outbox = state / "outbox.jsonl"
    assert sum(r["contact_id"] == PERSON for r in read_outbox(outbox)) == 2  # welcome, followup
    assert leftovers(state, ADDRESS, NAME)  # the search finds them before the erase

    inbox.enqueue_contacts(harness.store, [{"id": PERSON, "delete": True}], harness.clock.now())
    harness.run_for(1)

    assert leftovers(state, ADDRESS, NAME) == []  # daemon running: db, -wal, -shm, outbox
    assert [r["contact_id"] for r in read_outbox(outbox)] == [OTHER, OTHER]

    # a late event and an old unsubscribe link, through the daemon's real doors
    late = parse_event(
        {"id": "late-1", "name": "signed_up", "contact_id": PERSON}, received_at=harness.clock.now()
    )
    inbox.enqueue_events(harness.store, [late], harness.clock.now())
    hooks = HttpHooks(harness.daemon)
    hooks.unsubscribe(PERSON, "welcome-test")
    assert hooks.change_contacts([parse_contact(person())]) == ["refused"]
    hooks.close()
    harness.run_for(3)

    assert harness.store.get_contact(PERSON) is None
    assert harness.store.count_enrollments("welcome-test", PERSON) == 0
    assert harness.store.known_event_ids(["late-1"]) == set()
    assert len(harness.logs("refused")) == 3  # the event, the consent change, its event
    assert all("erased" in line and PERSON not in line for line in harness.logs("refused"))
    assert harness.store.get_contact(OTHER) is not None
    harness.close()
    assert leftovers(state, ADDRESS, NAME) == []
    tombstones = SQLiteStore(state / "state.db")
    try:
        assert tombstones.is_erased(PERSON) and not tombstones.is_erased(OTHER)
        assert PERSON.encode() not in (state / "state.db").read_bytes()
    finally:
        tombstones.close()


def journey_cli(root: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "journey", "--workspace", str(root), *args],
        input=stdin, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def test_erase_by_import_without_a_daemon_cleans_the_outbox_and_refuses_what_comes_later(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = state_workspace(tmp_path)
    harness = harness_factory(root)
    run_journey_for_both(harness)
    harness.close()
    state = root / ".journey"

    erase = journey_cli(
        root, "contacts", "import", "-", stdin=json.dumps({"id": PERSON, "delete": True})
    )
    assert erase.returncode == 0, erase.stderr
    assert "1 deleted" in erase.stdout
    assert leftovers(state, ADDRESS, NAME) == []

    again = journey_cli(root, "contacts", "import", "-", stdin=json.dumps(person()))
    assert again.returncode == 0, again.stderr
    assert "1 refused (erased contacts are not recreated)" in again.stdout
    late = {"id": "late-2", "name": "signed_up", "contact_id": PERSON}
    ingest = journey_cli(root, "ingest", "-", stdin=json.dumps(late))
    assert "1 refused (their contacts were erased)" in ingest.stdout
    assert leftovers(state, ADDRESS, NAME) == []
    store = SQLiteStore(state / "state.db")
    try:
        assert store.get_contact(PERSON) is None
        assert store.known_event_ids(["late-2"]) == set()
    finally:
        store.close()


def test_an_erased_contact_is_never_written_back_by_the_store_itself(tmp_path: Path) -> None:
    """The last guard: even code that skips the doors cannot put the contact back."""
    store = SQLiteStore(tmp_path / "state.db")
    try:
        store.put_contact(Contact(id=PERSON, email=ADDRESS))
        assert store.delete_contact(PERSON)
        with pytest.raises(ContactErased, match="was erased"):
            store.put_contact(Contact(id=PERSON, email=ADDRESS))
        event = parse_event({"id": "e1", "name": "x", "contact_id": PERSON}, received_at=START)
        assert store.add_event(event) is False
        store.add_events([event])
        assert store.known_event_ids(["e1"]) == set()
    finally:
        store.close()

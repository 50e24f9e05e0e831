"""The records docs/intake.md shows are what the repository's workspace accepts at its door."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from journey.ingest import parse_contact, parse_event
from journey.ingest.door import door_for
from journey.workspace import load_workspace

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "intake.md"
JSONL = re.compile(r"```jsonl\n(.*?)```", re.DOTALL)
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_every_record_the_page_shows_passes_the_door_of_the_repository_workspace() -> None:
    workspace, _ = load_workspace(ROOT)
    door = door_for(workspace)
    events_block, contacts_block = JSONL.findall(PAGE.read_text("utf-8"))
    events = [json.loads(line) for line in events_block.splitlines()]
    contacts = [json.loads(line) for line in contacts_block.splitlines()]
    assert len(events) == 2 and len(contacts) == 3
    for record in events:
        door.event(parse_event(record, received_at=NOW))
    for record in contacts:
        door.contact(parse_contact(record))
    assert door.tally.snapshot() == {key: 0 for key in door.tally.snapshot()}

"""Contacts and events as users write them -> model records, for the engine's shells.

A thin adapter over :mod:`journey.ingest`, the single implementation of the
spec's rules (section 1), so `simulate`, `test`, `ingest` and the HTTP API
accept exactly the same records.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from journey.ingest import LineError, RecordError, apply_contact_change, parse_contact
from journey.ingest import parse_event as _parse_event
from journey.ingest import read_jsonl as _read_jsonl
from journey.model import Contact, Event

InputError = RecordError  # a record without the documented shape; the message says why


def merge_contact(old: Contact | None, patch: Mapping[str, Any], now: datetime) -> Contact:
    """Upsert: reserved keys replace, attributes merge key by key, `null` deletes one."""
    change = parse_contact(patch)
    if change.delete:
        raise InputError("a deletion request is not a contact")
    contact = apply_contact_change(old, change, now=now)
    assert contact is not None
    return contact


def parse_event(data: Mapping[str, Any], now: datetime) -> Event:
    """An event record; a missing timestamp means "received now"."""
    return _parse_event(data, received_at=now)


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) per non-blank line; raises InputError naming the line."""
    for number, value in _read_jsonl(path):
        if isinstance(value, LineError):
            raise InputError(f"{path}:{number}: {value.message}")
        if not isinstance(value, dict):
            raise InputError(f"{path}:{number}: each line must be a JSON object")
        yield number, value

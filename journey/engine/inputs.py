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

from journey.errors import UsageError
from journey.ingest import LineError, RecordError
from journey.ingest import parse_event as _parse_event
from journey.ingest import read_jsonl as _read_jsonl
from journey.model import Event

InputError = RecordError  # a record without the documented shape; the message says why


class InputLineError(UsageError):
    """A line of an input file that is not a JSON object: `file:line: why`, a usage error."""


def parse_event(data: Mapping[str, Any], now: datetime) -> Event:
    """An event record; a missing timestamp means "received now"."""
    return _parse_event(data, received_at=now)


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) per non-blank line; raises InputLineError naming the line."""
    for number, value in _read_jsonl(path):
        if isinstance(value, LineError):
            raise InputLineError(f"{path}:{number}: {value.message}")
        if not isinstance(value, dict):
            raise InputLineError(f"{path}:{number}: each line must be a JSON object")
        yield number, value

"""The files `journey simulate` reads: contacts and events as JSONL, checked line by line.

Shared by the one-process run (journey.cli.simulate) and the parts of a run on
several processes (journey.partitioned_simulation), so both read exactly alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from journey.engine.inputs import InputError, parse_event, read_jsonl
from journey.errors import UsageError
from journey.ingest import ContactChange, RecordError, parse_contact
from journey.model import Event, EventTrigger, Plan


def checked_contacts(path: Path) -> Iterator[tuple[dict[str, Any], ContactChange]]:
    """Each record and its parsed change; a bad line is a UsageError naming `file:line`."""
    for _, record, change in numbered_contacts(path):
        yield record, change


def numbered_contacts(path: Path) -> Iterator[tuple[int, dict[str, Any], ContactChange]]:
    """As `checked_contacts`, with each record's line number."""
    for number, record in read_jsonl(path):
        if not isinstance(record.get("id"), str):
            raise UsageError(f"{path}:{number}: {NO_ID}")
        try:
            change = parse_contact(record)
        except RecordError as exc:
            raise UsageError(f"{path}:{number}: {exc}") from None
        yield number, record, change


NO_ID = "a contact needs an `id` that is a string"


def contact_records(path: Path) -> Iterator[dict[str, Any]]:
    """The file's records, each checked."""
    for record, _ in checked_contacts(path):
        yield record


def parsed_contacts(path: Path) -> Iterator[ContactChange]:
    """The file's contacts parsed once, for the simulation to load as they are."""
    for _, change in checked_contacts(path):
        yield change


def trigger_example(plan: Plan, workspace: Any) -> dict[str, Any]:
    """The declared example payload of the plan's trigger event ({} without one)."""
    if not isinstance(plan.trigger, EventTrigger):
        return {}
    return dict(getattr(workspace, "event_examples", {}).get(plan.trigger.event, {}))


def read_events(path: Path | None, start: datetime) -> list[Event]:
    """The events file's events, in file order (a missing timestamp means `start`)."""
    if path is None:
        return []
    events = []
    for number, record in read_jsonl(path):
        try:
            events.append(parse_event(record, start))
        except InputError as exc:
            raise UsageError(f"{path}:{number}: {exc}") from None
    return events


def entry_events(
    plan: Plan,
    contacts: Path | Iterable[dict[str, Any]],
    start: datetime,
    example: Mapping[str, Any] | None = None,
) -> Iterator[Event]:
    """--enter-all: each contact sends the trigger event at the start; its properties
    are the event's declared `example:` payload, then the contact's attributes (an
    attribute of the same name wins), so a cart journey's messages see a cart.

    Read from the contacts file as the simulation plays them, not held in memory; the
    simulation has loaded (and so checked) every contact before it plays an event."""
    assert isinstance(plan.trigger, EventTrigger)
    if isinstance(contacts, Path):
        records: Iterable[dict[str, Any]] = (record for _, record in read_jsonl(contacts))
    else:
        records = contacts
    for record in records:
        properties = {**(example or {})}
        properties.update((k, v) for k, v in record.items() if k not in ("id", "consent"))
        yield Event(
            id=f"simulated-entry-{record['id']}",
            name=plan.trigger.event,
            contact_id=record["id"],
            timestamp=start,
            received_at=start,
            properties=properties,
        )

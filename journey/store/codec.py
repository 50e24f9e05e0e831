"""Row <-> record conversion for the SQL stores: instants as fixed-width UTC text, JSON blobs."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

import orjson

from journey.instants import from_ts, ts
from journey.model import Event
from journey.records import (
    DeliveryRecord,
    Enrollment,
    Entry,
    Lease,
    TriggerState,
)
from journey.store.contact_rows import (
    CONTACT_COLUMNS,
    contact_from_row,
    contact_row,
    contacts_from_rows,
    forget_contact,
)
from journey.store.json_text import dumps, loads
from journey.store.memo import drop_oldest

# the instant, JSON and contact-row codecs, re-exported for the stores' modules
__all__ = [
    "CONTACT_COLUMNS",
    "contact_from_row",
    "contact_row",
    "contacts_from_rows",
    "dumps",
    "forget_contact",
    "from_ts",
    "loads",
    "ts",
]


def event_row(event: Event) -> tuple[Any, ...]:
    return (
        event.id,
        event.contact_id,
        event.name,
        ts(event.timestamp),
        ts(event.received_at or event.timestamp),
        dumps(event.properties),
    )


def event_from_row(row: tuple[Any, ...]) -> Event:
    """A row of `SELECT id, contact_id, name, timestamp, received_at, properties`."""
    return Event(
        id=row[0],
        contact_id=row[1],
        name=row[2],
        timestamp=datetime.fromisoformat(row[3]),
        received_at=datetime.fromisoformat(row[4]),
        properties=loads(row[5]),
    )


def event_from_body(body: dict[str, Any], received_at: datetime) -> Event:
    """An event as the inbox keeps it (journey.daemon.inbox.event_body)."""
    timestamp = from_ts(body["timestamp"])
    assert timestamp is not None
    return Event(
        id=str(body["id"]),
        name=str(body["name"]),
        contact_id=str(body["contact_id"]),
        timestamp=timestamp,
        properties=dict(body.get("properties") or {}),
        received_at=from_ts(body.get("received_at")) or received_at,
    )


ENROLLMENT_COLUMNS = (
    "id, journey_id, contact_id, plan_hash, status, step_id, step_entered_at, due_at,"
    " entered_at, entry, split_arm, exit_reason, exited_at, converted_at, state"
)


def _state(e: Enrollment) -> dict[str, Any]:
    """The enrollment's engine state kept as JSON; `arms` holds every split's arm."""
    state: dict[str, Any] = {"phase": e.phase, "visits": e.visits}
    state["defer_since"] = ts(e.defer_since)
    if e.arms:
        state["arms"] = e.arms
    if e.events:
        state["events"] = {name: entry_json(event) for name, event in e.events.items()}
    return state


_FLOATLESS = frozenset({str, int, bool, type(None)})  # what orjson writes as `json` does


def _state_text(e: Enrollment) -> str:
    """`dumps(_state(e))`: without its walk for floats where none can be (no kept events)."""
    state = _state(e)
    plain = _FLOATLESS.issuperset(map(type, (e.phase, *e.visits.values(), *e.arms.values())))
    if plain and not e.events:
        try:
            return orjson.dumps(state, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:  # orjson.JSONEncodeError (a key not a string, a huge int): dumps says
            pass
    return dumps(state)


def entry_json(entry: Entry) -> dict[str, Any]:
    """An entry (or a kept event) as the store's JSON."""
    return {
        "name": entry.name,
        "timestamp": ts(entry.timestamp),
        "properties": entry.properties,
    }


def entry_from_json(data: dict[str, Any]) -> Entry:
    return Entry(
        name=data["name"],
        timestamp=datetime.fromisoformat(data["timestamp"]),
        properties=data.get("properties") or {},
    )


def kept_events(state: dict[str, Any]) -> dict[str, Entry]:
    """`events` of an enrollment's state: what its `wait_for ... as:` steps matched."""
    return {name: entry_from_json(data) for name, data in (state.get("events") or {}).items()}


def enrollment_row(e: Enrollment) -> tuple[Any, ...]:
    entry = dumps(entry_json(e.entry))
    _remember_entry(e.entry, entry)
    return (
        e.id,
        e.journey_id,
        e.contact_id,
        e.plan_hash,
        e.status,
        e.step_id,
        ts(e.step_entered_at),
        ts(e.due_at) if e.is_active else None,
        ts(e.entered_at),
        entry,
        e.split_arm,
        e.exit_reason,
        ts(e.exited_at),
        ts(e.converted_at),
        _state_text(e),
    )


# An enrollment's entry is written with every save and read with every claim, but changes
# only on `retrigger: refresh` (a new Entry). So the store keeps both directions for the
# entries it saw last: the Entry by its text (`_ENTRIES`: a claim decodes an entry once
# while it is kept; enrollments reading the same text share the Entry, as the versions
# of one enrollment always do), and the text by the Entry (`_ENTRY_TEXTS`: saving does
# not encode it again; keyed by the object's id, with the Entry itself kept so that the
# id is not reused while it is there). The oldest go first.
_ENTRIES: dict[str, Entry] = {}
_ENTRY_TEXTS: dict[int, tuple[Entry, str]] = {}
_ENTRIES_KEPT = 4096  # a few claimed batches: an enrollment is claimed at each of its steps


def _entry_text(entry: Entry) -> str:
    kept = _ENTRY_TEXTS.get(id(entry))
    if kept is not None and kept[0] is entry:
        return kept[1]
    return dumps(entry_json(entry))


def _read_entry(text: str) -> Entry:
    """An entry as stored, remembered with its text (the store's own encoding of it)."""
    entry = _ENTRIES.get(text)
    if entry is None:
        entry = entry_from_json(loads(text))
        if len(_ENTRIES) >= _ENTRIES_KEPT:
            drop_oldest(_ENTRIES)
        _ENTRIES[text] = entry  # only what decoding gives: a new Entry may hold other types
        _remember_entry(entry, text)
    elif id(entry) not in _ENTRY_TEXTS:
        _remember_entry(entry, text)
    return entry


def _remember_entry(entry: Entry, text: str) -> None:
    if len(_ENTRY_TEXTS) >= _ENTRIES_KEPT:
        drop_oldest(_ENTRY_TEXTS)
    _ENTRY_TEXTS[id(entry)] = (entry, text)


# What enrollment_update_row holds, in its order (then the id).
UPDATED_COLUMNS = (
    "entry",
    "status",
    "step_id",
    "step_entered_at",
    "due_at",
    "split_arm",
    "exit_reason",
    "exited_at",
    "converted_at",
    "state",
)


def enrollment_update_row(e: Enrollment) -> tuple[Any, ...]:
    """The UPDATED_COLUMNS, then the id: what changes after insertion (identity never does;
    the entry on `refresh`)."""
    return (
        _entry_text(e.entry),
        e.status,
        e.step_id,
        ts(e.step_entered_at),
        ts(e.due_at) if e.is_active else None,
        e.split_arm,
        e.exit_reason,
        ts(e.exited_at),
        ts(e.converted_at),
        _state_text(e),
        e.id,
    )


# What a claim's RETURNING adds after a record's columns: the lease it took.
CLAIM_COLUMNS = "claimed_by, claim_epoch, claim_expires_at"


def lease_from_row(row: tuple[Any, ...]) -> Lease:
    """The three CLAIM_COLUMNS at the end of a claimed row."""
    return Lease(worker=row[-3], epoch=int(row[-2]), expires_at=datetime.fromisoformat(row[-1]))


def enrollment_from_row(row: tuple[Any, ...], lease: Lease | None = None) -> Enrollment:
    """A row of ENROLLMENT_COLUMNS (anything after them is left alone)."""
    phase, visits, defer_since, arms, events = _read_state(row[14])
    return Enrollment(
        id=row[0],
        journey_id=row[1],
        contact_id=row[2],
        plan_hash=row[3],
        status=row[4],
        step_id=row[5],
        step_entered_at=datetime.fromisoformat(row[6]),
        due_at=from_ts(row[7]),
        entered_at=datetime.fromisoformat(row[8]),
        entry=_read_entry(row[9]),
        split_arm=row[10],
        exit_reason=row[11],
        exited_at=from_ts(row[12]),
        converted_at=from_ts(row[13]),
        phase=phase,
        visits=visits,
        defer_since=defer_since,
        lease=lease,
        arms=arms,
        events=events,
    )


# Decoded states (phase, visits, defer_since, arms, events) by their text. A claim decodes
# the state of every row it takes, and most rows at one step of a journey hold the same
# text. Enrollments decoded from one text share its dicts, as versions of one enrollment
# do: the engine copies them to change them.
_State = tuple[Any, dict[str, int], datetime | None, dict[str, str], dict[str, Entry]]
_STATES: dict[str, _State] = {}
_STATES_KEPT = 4096


def _read_state(text: str) -> _State:
    found = _STATES.get(text)
    if found is None:
        state = loads(text)
        visits, arms = state.get("visits") or {}, state.get("arms") or {}
        since = from_ts(state.get("defer_since"))
        found = (state.get("phase", "enter"), visits, since, arms, kept_events(state))
        if len(_STATES) >= _STATES_KEPT:
            drop_oldest(_STATES)
        _STATES[text] = found
    return found


DELIVERY_COLUMNS = (
    "delivery_key, enrollment_id, journey_id, step_id, contact_id, channel, kind, category,"
    " payload, status, attempts, created_at, next_attempt_at, last_error, sent_at"
)


def delivery_row(d: DeliveryRecord) -> tuple[Any, ...]:
    return (
        d.delivery_key,
        d.enrollment_id,
        d.journey_id,
        d.step_id,
        d.contact_id,
        d.channel,
        d.kind,
        d.category,
        dumps(d.payload),
        d.status,
        d.attempts,
        ts(d.created_at),
        ts(d.next_attempt_at),
        d.last_error,
        ts(d.sent_at),
    )


# What a claim given known records returns for each row before its lease: the key and
# what a delivery's life changes (created_at tells two writes of one key apart).
DELIVERY_STATE_COLUMNS = (
    "delivery_key, status, attempts, created_at, next_attempt_at, last_error, sent_at"
)


def delivery_state(d: DeliveryRecord) -> tuple[Any, ...]:
    """A record's DELIVERY_STATE_COLUMNS after its key, as the row holds them."""
    return (
        d.status,
        d.attempts,
        ts(d.created_at),
        ts(d.next_attempt_at),
        d.last_error,
        ts(d.sent_at),
    )


def with_lease(record: DeliveryRecord, lease: Lease) -> DeliveryRecord:
    """`dataclasses.replace(record, lease=lease)` without going through `fields()`."""
    copy = object.__new__(DeliveryRecord)
    for name in _DELIVERY_FIELDS:
        _set(copy, name, getattr(record, name))
    _set(copy, "lease", lease)
    return copy


_DELIVERY_FIELDS = tuple(f.name for f in fields(DeliveryRecord) if f.name != "lease")
_set = object.__setattr__


def delivery_from_row(row: tuple[Any, ...], lease: Lease | None = None) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_key=row[0],
        enrollment_id=row[1],
        journey_id=row[2],
        step_id=row[3],
        contact_id=row[4],
        channel=row[5],
        kind=row[6],
        category=row[7],
        payload=loads(row[8]),
        status=row[9],
        attempts=row[10],
        created_at=datetime.fromisoformat(row[11]),
        next_attempt_at=from_ts(row[12]),
        last_error=row[13],
        sent_at=from_ts(row[14]),
        lease=lease,
    )


def trigger_row(t: TriggerState) -> tuple[Any, ...]:
    match = None if t.segment_match is None else int(t.segment_match)
    return (t.journey_id, t.contact_id, ts(t.next_fire_at), ts(t.last_fired_at), match)


def trigger_from_row(row: tuple[Any, ...], lease: Lease | None = None) -> TriggerState:
    return TriggerState(
        journey_id=row[0],
        contact_id=row[1],
        next_fire_at=from_ts(row[2]),
        last_fired_at=from_ts(row[3]),
        segment_match=None if row[4] is None else bool(row[4]),
        lease=lease,
    )

"""Contacts and events as the outside world sends them -> validated model records.

One implementation of section 1 of the spec, shared by `journey ingest`,
`journey contacts import`, the daemon's HTTP endpoint, `journey simulate` and
`journey test`, so a line that one of them accepts is accepted by all.
Every field is checked here, at the door (journey.ingest.values for what a
value may be, journey.addresses for email and phone, journey.text for text):
what passes can be stored, queried and sent. Problems are raised as
:class:`RecordError` with a message a user can act on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from journey.addresses import AddressError, check_email, check_phone
from journey.ingest.record_fields import (
    MAX_ID_LENGTH,
    RecordError,
    checked_field,
    checked_identifier,
    checked_instant,
    describe,
    listed_keys,
    plain_line,
    plain_scalar,
    record_mapping,
)
from journey.ingest.values import (
    MAX_KEY_CHARS,
    checked_event_name,
    checked_key,
    checked_text,
    checked_value,
)
from journey.localtime import zone
from journey.model import MESSAGE_KINDS, Contact, Event
from journey.slotted import quick_init

_EVENT_KEYS = frozenset({"id", "name", "contact_id", "timestamp", "properties"})
_MAX_LOCALE_LENGTH = 64  # BCP 47 tags in practice stay under 35


@quick_init  # one per contact a file loads
@dataclass(frozen=True, slots=True, kw_only=True)
class ContactChange:
    """An upsert (or, with `delete`, an erasure) of one contact.

    `fields` holds the reserved keys the record mentions (None clears one);
    `attributes` the other keys (None deletes the attribute). Keys the record
    does not mention are left as they are.
    """

    id: str
    delete: bool = False
    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------- contacts


def parse_contact(obj: Any) -> ContactChange:
    """A contact record (JSON object) -> the change it asks for."""
    record = record_mapping(obj, "a contact")
    contact_id = checked_identifier(record.get("id"), "id")
    for key in record:
        if not plain_line(key, MAX_KEY_CHARS):
            checked_field(checked_key, key, "")
    if "delete" in record:
        if record["delete"] is not True:
            raise RecordError(
                "`delete` must be true (it erases the contact); leave it out otherwise"
            )
        others = sorted(k for k in record if k not in ("id", "delete"))
        if others:
            raise RecordError(
                f"a deletion carries only `id` and `delete: true`, not {listed_keys(others)}"
            )
        return ContactChange(id=contact_id, delete=True)
    fields: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for key, value in record.items():
        if key == "id":
            continue
        if key in _ADDRESS_CHECKS:
            fields[key] = _address(value, key)
        elif key == "locale":
            if plain_line(value, _MAX_LOCALE_LENGTH):
                fields[key] = value
                continue
            text = _optional_text(value, key)
            fields[key] = None if text is None else checked_field(_one_line, text, key)
        elif key == "timezone":
            fields[key] = _timezone(value)
        elif key == "created_at":
            fields[key] = None if value is None else checked_instant(value, "created_at")
        elif key == "consent":
            fields[key] = _consent(value)
        elif key == "topics":
            fields[key] = _topics(value)
        elif plain_scalar(value):
            attributes[key] = value
        else:
            attributes[key] = checked_field(checked_value, value, key)
    return ContactChange(id=contact_id, fields=fields, attributes=attributes)


def apply_contact_change(
    existing: Contact | None, change: ContactChange, *, now: datetime | None = None
) -> Contact | None:
    """Upsert: reserved keys replace, consent and attributes merge key by key; None = erased.

    A new contact without `created_at` gets `now` when given: inactivity
    triggers count from it, so "first seen" is the best stand-in.
    """
    if change.delete:
        return None
    base = existing if existing is not None else _NOBODY
    updates: dict[str, Any] = {}
    for key, value in change.fields.items():
        if key == "consent":
            updates[key] = {} if value is None else _merge(base.consent, value)
        elif key == "topics":
            updates[key] = {} if value is None else merge_topics(base.topics, value)
        else:
            updates[key] = value
    if change.attributes:
        updates["attributes"] = _merge(base.attributes, change.attributes)
    if existing is None:  # built once, not built and then replaced
        return Contact(**{"id": change.id, "created_at": now, **updates})
    return replace(base, **updates) if updates else base


# What a new contact's consent, topics and attributes are merged into: nothing.
_NOBODY = Contact(id="")


def contact_from_record(obj: Any, *, now: datetime | None = None) -> Contact:
    """A complete contact from one record (tests, preview, simulate): no merging."""
    change = parse_contact(obj)
    if change.delete:
        raise RecordError("expected a contact, got a deletion request")
    contact = apply_contact_change(None, change, now=now)
    assert contact is not None
    return contact


def _merge(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _consent(value: Any) -> dict[str, bool | None] | None:
    if value is None:
        return None
    consent = record_mapping(value, "`consent`")
    for channel, granted in consent.items():
        if not plain_line(channel, MAX_KEY_CHARS):
            checked_field(checked_key, channel, "consent")
        if granted is not None and not isinstance(granted, bool):
            raise RecordError(f"`consent.{channel}` must be true or false, not {describe(granted)}")
    return dict(consent)


def _topics(value: Any) -> dict[str, dict[str, bool | None] | None] | None:
    """`topics: {product_news: false}` (every kind of message) or
    `{product_news: {email: false, sms: true}}`; null clears a topic or a kind."""
    if value is None:
        return None
    topics = record_mapping(value, "`topics`")
    out: dict[str, dict[str, bool | None] | None] = {}
    for topic, choice in topics.items():
        checked_field(checked_key, topic, "topics")
        if choice is None or isinstance(choice, bool):
            out[topic] = None if choice is None else dict.fromkeys(MESSAGE_KINDS, choice)
            continue
        kinds = record_mapping(choice, f"`topics.{topic}`")
        for kind, opted in kinds.items():
            if kind not in MESSAGE_KINDS:
                raise RecordError(
                    f"`topics.{topic}` names {describe(kind)}; use email, sms or push"
                )
            if opted is not None and not isinstance(opted, bool):
                raise RecordError(
                    f"`topics.{topic}.{kind}` must be true or false, not {describe(opted)}"
                )
        out[topic] = dict(kinds)
    return out


def merge_topics(
    old: Mapping[str, Mapping[str, bool]], new: Mapping[str, Mapping[str, bool | None] | None]
) -> dict[str, dict[str, bool]]:
    """Topic by topic, kind by kind; None clears (back to the topic's default)."""
    merged = {topic: dict(kinds) for topic, kinds in old.items()}
    for topic, kinds in new.items():
        if kinds is None:
            merged.pop(topic, None)
            continue
        entry = _merge(merged.get(topic, {}), kinds)
        if entry:
            merged[topic] = entry
        else:
            merged.pop(topic, None)
    return merged


def _timezone(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_ID_LENGTH or zone(value) is None:
        raise RecordError(
            f"`timezone` must be an IANA time zone such as Europe/Stockholm, not {describe(value)}"
        )
    return value


def _optional_text(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"`{key}` must be a string, not {describe(value)}")
    return value


def _one_line(value: str, key: str) -> str:
    return checked_text(value, key, one_line=True, limit=_MAX_LOCALE_LENGTH)


def _address(value: Any, key: str) -> str | None:
    """`email` and `phone`, checked as the channels will check them at send time."""
    text = _optional_text(value, key)
    if text is None:
        return None
    try:
        return _ADDRESS_CHECKS[key](text)
    except AddressError as exc:
        raise RecordError(f"`{key}`: {exc}") from None


_ADDRESS_CHECKS: dict[str, Callable[[str], str]] = {"email": check_email, "phone": check_phone}


# --------------------------------------------------------------------------- events


def parse_event(obj: Any, *, received_at: datetime) -> Event:
    """An event record -> an Event; a missing timestamp means `received_at`.

    A missing id is the SHA-256 of the canonical JSON of the other fields, the
    timestamp included as resolved: a file re-ingested is deduplicated as long
    as its lines carry a timestamp, and two identical timestamp-less events
    received at different moments stay two events.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    record = record_mapping(obj, "an event")
    unknown = sorted(str(k) for k in record if k not in _EVENT_KEYS)
    if unknown:
        raise RecordError(
            f"unknown key {listed_keys(unknown)} (an event has id, name, contact_id, timestamp,"
            " properties)"
        )
    name = checked_field(checked_event_name, checked_identifier(record.get("name"), "name"), "name")
    contact_id = checked_identifier(record.get("contact_id"), "contact_id")
    raw_timestamp = record.get("timestamp")
    timestamp = (
        received_at.astimezone(UTC)
        if raw_timestamp is None
        else checked_instant(raw_timestamp, "timestamp")
    )
    properties = record.get("properties")
    if properties is None:
        properties = {}
    else:
        given = dict(record_mapping(properties, "`properties`"))
        properties = checked_field(checked_value, given, "properties")
    event_id = record.get("id")
    if event_id is None:
        event_id = event_fingerprint(name, contact_id, timestamp, properties)
    else:
        event_id = checked_identifier(event_id, "id")
    return Event(
        id=event_id,
        name=name,
        contact_id=contact_id,
        timestamp=timestamp,
        properties=properties,
        received_at=received_at.astimezone(UTC),
    )


def event_fingerprint(
    name: str, contact_id: str, timestamp: datetime, properties: Mapping[str, Any]
) -> str:
    """The id of an event that came without one: SHA-256 of its canonical JSON."""
    canonical = json.dumps(
        {
            "contact_id": contact_id,
            "name": name,
            "properties": properties,
            "timestamp": timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


__all__ = [
    "ContactChange",
    "RecordError",
    "apply_contact_change",
    "contact_from_record",
    "event_fingerprint",
    "merge_topics",
    "parse_contact",
    "parse_event",
]

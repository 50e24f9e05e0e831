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
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeGuard

from journey.addresses import AddressError, check_email, check_phone
from journey.ingest.values import (
    MAX_INT,
    MAX_KEY_CHARS,
    MAX_TEXT_CHARS,
    ValueProblem,
    checked_event_name,
    checked_key,
    checked_text,
    checked_value,
)
from journey.localtime import parse_instant, zone
from journey.model import MESSAGE_KINDS, Contact, Event
from journey.slotted import quick_init
from journey.text import visible

_EVENT_KEYS = frozenset({"id", "name", "contact_id", "timestamp", "properties"})
_MAX_ID_LENGTH = 256
_MAX_LOCALE_LENGTH = 64  # BCP 47 tags in practice stay under 35
# Instants a record may carry: far enough either way for any real history or
# plan, and far from datetime's year 1..9999, so no offset or wait overflows.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


class RecordError(ValueError):
    """A contact or event that breaks the spec; the message names the key at fault."""


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
    record = _mapping(obj, "a contact")
    contact_id = _identifier(record.get("id"), "id")
    for key in record:
        if not _plain_line(key, MAX_KEY_CHARS):
            _checked(checked_key, key, "")
    if "delete" in record:
        if record["delete"] is not True:
            raise RecordError(
                "`delete` must be true (it erases the contact); leave it out otherwise"
            )
        others = sorted(k for k in record if k not in ("id", "delete"))
        if others:
            raise RecordError(
                f"a deletion carries only `id` and `delete: true`, not {_keys(others)}"
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
            if _plain_line(value, _MAX_LOCALE_LENGTH):
                fields[key] = value
                continue
            text = _optional_text(value, key)
            fields[key] = None if text is None else _checked(_one_line, text, key)
        elif key == "timezone":
            fields[key] = _timezone(value)
        elif key == "created_at":
            fields[key] = None if value is None else _instant(value, "created_at")
        elif key == "consent":
            fields[key] = _consent(value)
        elif key == "topics":
            fields[key] = _topics(value)
        elif _plain_scalar(value):
            attributes[key] = value
        else:
            attributes[key] = _checked(checked_value, value, key)
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
    consent = _mapping(value, "`consent`")
    for channel, granted in consent.items():
        if not _plain_line(channel, MAX_KEY_CHARS):
            _checked(checked_key, channel, "consent")
        if granted is not None and not isinstance(granted, bool):
            raise RecordError(
                f"`consent.{channel}` must be true or false, not {_describe(granted)}"
            )
    return dict(consent)


def _topics(value: Any) -> dict[str, dict[str, bool | None] | None] | None:
    """`topics: {product_news: false}` (every kind of message) or
    `{product_news: {email: false, sms: true}}`; null clears a topic or a kind."""
    if value is None:
        return None
    topics = _mapping(value, "`topics`")
    out: dict[str, dict[str, bool | None] | None] = {}
    for topic, choice in topics.items():
        _checked(checked_key, topic, "topics")
        if choice is None or isinstance(choice, bool):
            out[topic] = None if choice is None else dict.fromkeys(MESSAGE_KINDS, choice)
            continue
        kinds = _mapping(choice, f"`topics.{topic}`")
        for kind, opted in kinds.items():
            if kind not in MESSAGE_KINDS:
                raise RecordError(
                    f"`topics.{topic}` names {_describe(kind)}; use email, sms or push"
                )
            if opted is not None and not isinstance(opted, bool):
                raise RecordError(
                    f"`topics.{topic}.{kind}` must be true or false, not {_describe(opted)}"
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
    if not isinstance(value, str) or len(value) > _MAX_ID_LENGTH or zone(value) is None:
        raise RecordError(
            f"`timezone` must be an IANA time zone such as Europe/Stockholm, not {_describe(value)}"
        )
    return value


def _optional_text(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"`{key}` must be a string, not {_describe(value)}")
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
    record = _mapping(obj, "an event")
    unknown = sorted(str(k) for k in record if k not in _EVENT_KEYS)
    if unknown:
        raise RecordError(
            f"unknown key {_keys(unknown)} (an event has id, name, contact_id, timestamp,"
            " properties)"
        )
    name = _checked(checked_event_name, _identifier(record.get("name"), "name"), "name")
    contact_id = _identifier(record.get("contact_id"), "contact_id")
    raw_timestamp = record.get("timestamp")
    timestamp = (
        received_at.astimezone(UTC)
        if raw_timestamp is None
        else _instant(raw_timestamp, "timestamp")
    )
    properties = record.get("properties")
    if properties is None:
        properties = {}
    else:
        given = dict(_mapping(properties, "`properties`"))
        properties = _checked(checked_value, given, "properties")
    event_id = record.get("id")
    if event_id is None:
        event_id = event_fingerprint(name, contact_id, timestamp, properties)
    else:
        event_id = _identifier(event_id, "id")
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


# ------------------------------------------------------------------------- helpers

# The common valid record is answered by the fast checks below, without building a
# location or calling the checks of journey.ingest.values; whatever they do not
# vouch for goes the full way, which raises the same errors as before. `isprintable`
# refuses every character the one-line rule refuses (journey.text.text_clean), and
# the one-line rule refuses every character the free-text rule does.


def _plain_line(value: Any, limit: int) -> TypeGuard[str]:
    """A non-empty one-line string of at most `limit` characters (with MAX_KEY_CHARS:
    a key `checked_key` passes as it is)."""
    return type(value) is str and 0 < len(value) <= limit and value.isprintable()


def _plain_scalar(value: Any) -> bool:
    """A value `checked_value` gives back as it is: null, a boolean, a 64-bit integer,
    a finite number or printable text."""
    kind = type(value)
    if kind is str:
        return len(value) <= MAX_TEXT_CHARS and value.isprintable()
    if kind is bool or value is None:
        return True
    if kind is int:
        return bool(-MAX_INT <= value <= MAX_INT)
    if kind is float:
        return math.isfinite(value)
    return False


def _checked(check: Callable[[Any, str], Any], value: Any, where: str) -> Any:
    """Run a check of journey.ingest.values; its problem becomes this record's RecordError."""
    try:
        return check(value, where)
    except ValueProblem as exc:
        raise RecordError(str(exc)) from None


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RecordError(f"{what} must be a JSON object, not {_describe(value)}")
    return value


def _identifier(value: Any, key: str) -> str:
    if _plain_line(value, _MAX_ID_LENGTH) and not value.isspace():
        return value
    if value is None:
        raise RecordError(f"`{key}` is required")
    if not isinstance(value, str):
        hint = (
            f' (write "{value}")'
            if isinstance(value, int | float) and not isinstance(value, bool)
            else ""
        )
        raise RecordError(f"`{key}` must be a string, not {_describe(value)}{hint}")
    if not value.strip():
        raise RecordError(f"`{key}` must not be empty")
    return str(
        _checked(
            lambda text, where: checked_text(text, where, one_line=True, limit=_MAX_ID_LENGTH),
            value,
            key,
        )
    )


def _instant(value: Any, key: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise RecordError(f"`{key}` has no time zone; add `Z` or an offset such as +01:00")
        instant = _in_range(lambda: value.astimezone(UTC), key, value.isoformat())
    elif not isinstance(value, str):
        raise RecordError(f"`{key}` must be an RFC 3339 timestamp, not {_describe(value)}")
    else:
        _checked(lambda text, where: checked_text(text, where, one_line=True, limit=64), value, key)
        instant = _in_range(lambda: parse_instant(value), key, value)
    if not EARLIEST <= instant < LATEST:
        raise _out_of_range(key, str(value))
    return instant


def _out_of_range(key: str, shown: str) -> RecordError:
    return RecordError(
        f"`{key}`: {visible(shown)} is outside the years {EARLIEST.year}..{LATEST.year - 1}"
        " that a timestamp may have"
    )


def _in_range(convert: Callable[[], datetime], key: str, shown: str) -> datetime:
    try:
        return convert()
    except OverflowError:  # 9999-12-31T23:59:59-12:00 is past datetime.max in UTC
        raise _out_of_range(key, shown) from None
    except ValueError as exc:
        message = str(exc)
        if "time zone" not in message:
            message = (
                f"`{visible(shown)}` is not an RFC 3339 timestamp such as 2026-03-02T14:05:00Z"
            )
        raise RecordError(f"`{key}`: {message}") from None


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}" if abs(value) < 1e20 else "a very large number"
    if isinstance(value, str):
        return f"`{visible(value)}`" if len(value) <= 60 else "a long string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _keys(keys: list[str]) -> str:
    return ", ".join(f"`{visible(k)}`" for k in keys)

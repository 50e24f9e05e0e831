"""Contacts and events as users write them (JSONL, test files) -> model records.

One shape everywhere (spec section 1): reserved contact keys, every other key an
attribute, `null` deletes an attribute, a naive timestamp is rejected, a missing
event id is the SHA-256 of the canonical JSON of the other fields.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from journey.localtime import parse_instant
from journey.model import RESERVED_CONTACT_KEYS, Contact, Event


class InputError(ValueError):
    """A contact or event that does not have the documented shape; says why."""


def _instant(value: Any, what: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InputError(f"{what} has no time zone; add `Z` or an offset")
        return value
    if not isinstance(value, str):
        raise InputError(f"{what} must be an RFC 3339 timestamp")
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise InputError(f"{what}: {exc}") from None


def _plain(value: Any) -> Any:
    """Dates the YAML loader produced become text, as JSON would carry them."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def merge_contact(old: Contact | None, patch: Mapping[str, Any], now: datetime) -> Contact:
    """Upsert: reserved keys replace, attributes merge key by key, `null` deletes one."""
    contact_id = patch.get("id")
    if not isinstance(contact_id, str) or not contact_id:
        raise InputError("a contact needs an `id` that is a non-empty string")
    base = old or Contact(id=contact_id, created_at=now)
    changes: dict[str, Any] = {}
    for key in ("email", "phone", "locale", "timezone"):
        if key in patch:
            value = patch[key]
            if value is not None and not isinstance(value, str):
                raise InputError(f"contact `{key}` must be a string")
            changes[key] = value
    if "created_at" in patch:
        changes["created_at"] = (
            _instant(patch["created_at"], "created_at") if patch["created_at"] else now
        )
    if "consent" in patch:
        consent = patch["consent"]
        if not isinstance(consent, Mapping):
            raise InputError("contact `consent` must be a mapping such as {email: true}")
        merged = dict(base.consent)
        merged.update({str(k): bool(v) for k, v in consent.items()})
        changes["consent"] = merged
    attributes = dict(base.attributes)
    for key, value in patch.items():
        if key in RESERVED_CONTACT_KEYS or key == "delete":
            continue
        if value is None:
            attributes.pop(key, None)
        else:
            attributes[key] = _plain(value)
    changes["attributes"] = attributes
    return replace(base, **changes)


def event_id_for(fields: Mapping[str, Any]) -> str:
    canonical = json.dumps(_plain(dict(fields)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_event(data: Mapping[str, Any], now: datetime) -> Event:
    """An event record; a missing timestamp means "received now"."""
    name = data.get("name")
    contact_id = data.get("contact_id")
    if not isinstance(name, str) or not name:
        raise InputError("an event needs a `name`")
    if not isinstance(contact_id, str) or not contact_id:
        raise InputError("an event needs a `contact_id` that is a string")
    properties = data.get("properties") or {}
    if not isinstance(properties, Mapping):
        raise InputError("event `properties` must be a mapping")
    timestamp = _instant(data["timestamp"], "timestamp") if data.get("timestamp") else now
    event_id = data.get("id")
    if event_id is None:
        event_id = event_id_for({k: v for k, v in data.items() if k != "id"})
    return Event(
        id=str(event_id),
        name=name,
        contact_id=contact_id,
        timestamp=timestamp,
        properties=_plain(properties),
        received_at=now,
    )


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) per non-blank line; raises InputError naming the line."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not JSON: {exc.msg}") from None
            if not isinstance(value, dict):
                raise InputError(f"{path}:{number}: each line must be a JSON object")
            yield number, value

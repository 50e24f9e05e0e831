"""JSON Schemas (2020-12) for the events and contacts a workspace accepts, from its declarations.

What `journey schema events|contacts` prints, for the systems that send to
`journey`: a producer can check its payloads in its own CI. The schema says
what the door (journey.ingest.records, journey.ingest.door) checks of shape
and declared types; the door checks more than a schema can (addresses,
time zones, control characters, sizes), so a payload the schema refuses is
refused by the door, and one it accepts is very likely accepted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from journey.ingest.door import OUTCOME_PREFIX

if TYPE_CHECKING:
    from journey.workspace import Workspace

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_ID = {"type": "string", "minLength": 1, "maxLength": 256}
_INSTANT = {"type": "string", "format": "date-time"}

# A declared type (`events:`, `contact_attributes:`) as JSON Schema; a value may be null
_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": ["string", "null"]},
    "number": {"type": ["number", "null"]},
    "boolean": {"type": ["boolean", "null"]},
    "list": {"type": ["array", "null"]},
    "object": {"type": ["object", "null"]},
    "datetime": {"type": ["string", "null"], "format": "date-time"},
    "date": {"type": ["string", "null"], "format": "date"},
}


def declared_type(kind: str) -> dict[str, Any]:
    """One declared type as a schema; an unknown type name (the validator's to report) is any."""
    return dict(_TYPES.get(kind, {}))


def events_schema(workspace: Workspace) -> dict[str, Any]:
    """An event record (spec section 1), its name and properties as workspace.yaml declares them."""
    name: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": "^\\S+$"}
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "title": "journey event",
        "description": "One event as `journey ingest` (a JSON Lines line) and"
        " POST /v1/events take it.",
        "type": "object",
        "required": ["name", "contact_id"],
        "additionalProperties": False,
        "properties": {
            "id": _ID,
            "name": name,
            "contact_id": _ID,
            "timestamp": _INSTANT,
            "properties": {"type": "object"},
        },
    }
    declared = workspace.events
    if declared is None:
        return schema
    if workspace.intake.undeclared_events == "refuse":
        outcome = f"^{OUTCOME_PREFIX.replace('.', '[.]')}\\S+$"
        name["anyOf"] = [{"enum": sorted(declared)}, {"pattern": outcome}]
    if workspace.intake.wrong_types == "refuse":
        schema["allOf"] = [
            {
                "if": {"properties": {"name": {"const": event}}, "required": ["name"]},
                "then": {
                    "properties": {
                        "properties": {
                            "type": "object",
                            "properties": {p: declared_type(k) for p, k in sorted(types.items())},
                        }
                    }
                },
            }
            for event, types in sorted(declared.items())
            if types
        ]
    return schema


def contacts_schema(workspace: Workspace) -> dict[str, Any]:
    """A contact record (spec section 1): reserved keys, declared attributes typed, others free."""
    text = {"type": ["string", "null"]}
    attributes = workspace.contact_attributes or {}
    typed = workspace.intake.wrong_types == "refuse"
    return {
        "$schema": DIALECT,
        "title": "journey contact",
        "description": "One contact as `journey contacts import` (a JSON Lines line) and"
        " POST /v1/contacts take it; `null` clears a key, {id, delete: true} erases the contact.",
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": _ID,
            "delete": {"const": True},
            "email": text,
            "phone": text,
            "locale": text,
            "timezone": text,
            "created_at": {"type": ["string", "null"], "format": "date-time"},
            "consent": {
                "type": ["object", "null"],
                "additionalProperties": {"type": ["boolean", "null"]},
            },
            **({k: declared_type(v) for k, v in sorted(attributes.items())} if typed else {}),
        },
    }

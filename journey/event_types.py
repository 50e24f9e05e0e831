"""Whether a value fits an event property's declared type (`string`, `number`, …).

One answer for every place that holds a value against `events:` in
workspace.yaml: an event's `example:` payload, and `--event` of `journey preview`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from journey.localtime import parse_date_value
from journey.validator.suggest import did_you_mean, sentence


def fits_type(value: Any, kind: str) -> bool:
    """True when `value` (as YAML or JSON gives it) is of the declared type; none always fits."""
    if value is None:
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "datetime":
        return _is_datetime(value)
    if kind == "date":
        return isinstance(value, date) or (
            isinstance(value, str) and parse_date_value(value) is not None
        )
    return True  # an unknown type name is the schema pass's to report


def _is_datetime(value: Any) -> bool:
    if isinstance(value, datetime):
        return value.tzinfo is not None
    if not isinstance(value, str):
        return False
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


def type_of(value: Any) -> str:
    """The declared-type word a value reads as, for messages: `a string`, `a list`."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def property_problems(properties: dict[str, Any], types: dict[str, str]) -> list[tuple[str, str]]:
    """(property, what is wrong) for each property that is undeclared or of the wrong type."""
    found: list[tuple[str, str]] = []
    for name, value in properties.items():
        if name not in types:
            hint = sentence(did_you_mean(str(name), types)) or ""
            found.append((str(name), f"`{name}` is not a declared property. {hint}".strip()))
        elif not fits_type(value, types[name]):
            found.append((str(name), f"`{name}` is declared {types[name]} but is {type_of(value)}"))
    return found

"""One field of a contact or event record, checked: ids, instants, objects, and the
fast paths for the common valid value; a problem is a RecordError naming the key.

The checks of what a value may be are journey.ingest.values'; this module turns
their problems into the record's error and spells the values it shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeGuard

from journey.ingest.values import MAX_INT, MAX_TEXT_CHARS, ValueProblem, checked_text
from journey.localtime import parse_instant
from journey.text import visible

MAX_ID_LENGTH = 256
# Instants a record may carry: far enough either way for any real history or
# plan, and far from datetime's year 1..9999, so no offset or wait overflows.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


class RecordError(ValueError):
    """A contact or event that breaks the spec; the message names the key at fault."""


# The common valid record is answered by the fast checks below, without building a
# location or calling the checks of journey.ingest.values; whatever they do not
# vouch for goes the full way, which raises the same errors as before. `isprintable`
# refuses every character the one-line rule refuses (journey.text.text_clean), and
# the one-line rule refuses every character the free-text rule does.


def plain_line(value: Any, limit: int) -> TypeGuard[str]:
    """A non-empty one-line string of at most `limit` characters (with MAX_KEY_CHARS:
    a key `checked_key` passes as it is)."""
    return type(value) is str and 0 < len(value) <= limit and value.isprintable()


def plain_scalar(value: Any) -> bool:
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


def checked_field(check: Callable[[Any, str], Any], value: Any, where: str) -> Any:
    """Run a check of journey.ingest.values; its problem becomes this record's RecordError."""
    try:
        return check(value, where)
    except ValueProblem as exc:
        raise RecordError(str(exc)) from None


def record_mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RecordError(f"{what} must be a JSON object, not {describe(value)}")
    return value


def checked_identifier(value: Any, key: str) -> str:
    if plain_line(value, MAX_ID_LENGTH) and not value.isspace():
        return value
    if value is None:
        raise RecordError(f"`{key}` is required")
    if not isinstance(value, str):
        hint = (
            f' (write "{value}")'
            if isinstance(value, int | float) and not isinstance(value, bool)
            else ""
        )
        raise RecordError(f"`{key}` must be a string, not {describe(value)}{hint}")
    if not value.strip():
        raise RecordError(f"`{key}` must not be empty")
    return str(
        checked_field(
            lambda text, where: checked_text(text, where, one_line=True, limit=MAX_ID_LENGTH),
            value,
            key,
        )
    )


def checked_instant(value: Any, key: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise RecordError(f"`{key}` has no time zone; add `Z` or an offset such as +01:00")
        instant = _in_range(lambda: value.astimezone(UTC), key, value.isoformat())
    elif not isinstance(value, str):
        raise RecordError(f"`{key}` must be an RFC 3339 timestamp, not {describe(value)}")
    else:
        checked_field(
            lambda text, where: checked_text(text, where, one_line=True, limit=64), value, key
        )
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


def describe(value: Any) -> str:
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


def listed_keys(keys: list[str]) -> str:
    return ", ".join(f"`{visible(k)}`" for k in keys)

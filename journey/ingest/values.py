"""The values a record may carry: JSON that SQLite stores and queries, within stated bounds.

Refused at the door because each breaks something later: NaN, Infinity and
`1e400` (which JSON reads as infinity) are written as `Infinity`, which makes
every SQLite JSON query of the table fail; an integer beyond 64 bits is stored
as an imprecise real; invalid text cannot be written as UTF-8; a very deep or
very long value costs every later read. YAML test files may give dates, which
become RFC 3339 text as JSON would carry them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from journey.text import text_problem, visible

MAX_TEXT_CHARS = 65_536  # one attribute or property string
MAX_KEY_CHARS = 256  # one attribute or property name (as long as an id)
MAX_DEPTH = 32  # objects and lists inside a value
MAX_INT = 2**63 - 1  # SQLite's INTEGER; beyond it JSON numbers lose precision


class ValueProblem(ValueError):
    """What is wrong and where (`where` is a JSON path such as `properties.items[2]`)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"`{where}` {problem}")


def checked_value(value: Any, where: str, *, depth: int = 0) -> Any:
    """`value` as stored (dates as text), or ValueProblem naming the first bad part."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if -MAX_INT <= value <= MAX_INT:
            return value
        raise ValueProblem(where, f"is a number beyond ±{MAX_INT} (64 bits); send it as a string")
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        raise ValueProblem(where, "is not a finite number (NaN, Infinity or too large)")
    if isinstance(value, str):
        return checked_text(value, where, one_line=False, limit=MAX_TEXT_CHARS)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if depth >= MAX_DEPTH:
        raise ValueProblem(where, f"nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        return {
            checked_key(key, where): checked_value(item, join(where, key), depth=depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            checked_value(item, f"{where}[{i}]", depth=depth + 1) for i, item in enumerate(value)
        ]
    raise ValueProblem(where, f"is a {type(value).__name__}, which JSON cannot carry")


def checked_key(key: Any, where: str) -> str:
    """A name inside a record: a non-empty one-line string of at most MAX_KEY_CHARS."""
    if not isinstance(key, str):
        raise ValueProblem(where or "the record", f"has a key that is not a string: {key!r}")
    if not key:
        raise ValueProblem(where or "the record", "has an empty key")
    if len(key) <= MAX_KEY_CHARS and text_problem(key, one_line=True) is None:
        return key  # the common case: no location to spell out
    return checked_text(key, join(where, visible(key)), one_line=True, limit=MAX_KEY_CHARS)


def checked_event_name(name: str, where: str) -> str:
    """An event name is one word, as journeys name it: with a space no trigger can match it."""
    if any(ch.isspace() for ch in name):
        shown = json.dumps(name, ensure_ascii=False)
        raise ValueProblem(
            where, f"{shown} has a space; an event name is one word (e.g. order_placed)"
        )
    return name


def join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def checked_text(value: str, where: str, *, one_line: bool, limit: int) -> str:
    if len(value) > limit:
        raise ValueProblem(where, f"is longer than {limit} characters")
    problem = text_problem(value, one_line=one_line)
    if problem is not None:
        raise ValueProblem(where, problem)
    return value

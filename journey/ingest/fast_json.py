"""orjson's reading of a user's JSON text, when it is provably the strict reading's.

The strict reading (`journey.ingest.jsonl.loads_strict`: `json` refusing NaN,
Infinity and duplicate keys) is about five times slower than orjson. orjson reads
no more than it does (it refuses NaN, Infinity, numbers beyond a double, lone
surrogates, invalid UTF-8 and a byte order mark) and gives the same values, with
three exceptions that `read` looks for, answering UNSURE so that the caller asks
the strict reading (and gets its value or its error, word for word):

- duplicate keys (orjson keeps the last): the keys in the text are counted and
  compared with the entries of the objects read;
- an integer beyond 64 bits (orjson reads it as a float): any float of that size
  is sent back;
- nesting deeper than MAX_DEPTH (`json` may refuse it as too deep).
"""

from __future__ import annotations

from typing import Any, Final

import orjson

UNSURE: Final = object()  # ask the strict reading
MAX_DEPTH = 64  # ingest refuses values nested deeper than 32 levels (journey.ingest.values)
# orjson reads an integer beyond 64 bits as a float at least this large (2**63 ≈ 9.22e18)
_BIG_FLOAT = 9.2e18
# A key is a string followed by optional whitespace and a colon: with the whitespace taken
# out, counting `":` counts every key (or more: a `\":` inside a string, or whitespace in a
# string before one, which only sends the text to the strict reading).
_WHITESPACE = b" \t\r\n"


def read(data: bytes | str) -> Any:
    """The value of `data` as the strict reading gives it, or UNSURE."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return UNSURE
    kind = type(value)
    if kind is not dict and kind is not list:
        return UNSURE if kind is float and abs(value) >= _BIG_FLOAT else value
    entries = _entries(value, 1)
    if entries < 0:
        return UNSURE
    if entries and _keys_in_text(data) != entries:
        return UNSURE
    return value


def _keys_in_text(data: bytes | str) -> int:
    """At least the number of keys in `data`, a JSON text."""
    raw = data.encode() if isinstance(data, str) else data
    return raw.translate(None, _WHITESPACE).count(b'":')


def _entries(value: Any, depth: int) -> int:
    """The entries of every object in `value` (an object or a list); -1 when a float could
    be an integer orjson rounded, or the nesting is deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        return -1
    if type(value) is dict:
        count = len(value)
        items = value.values()
    else:
        count = 0
        items = value
    for item in items:
        kind = type(item)
        if kind is float:
            if abs(item) >= _BIG_FLOAT:
                return -1
        elif kind is dict or kind is list:
            inner = _entries(item, depth + 1)
            if inner < 0:
                return -1
            count += inner
    return count

"""The stores' JSON text: orjson wherever its answer is the one `json` gives, `json` elsewhere.

Written: compact, keys sorted, non-ASCII as UTF-8 (SQLite's TEXT and PostgreSQL's
`json` keep it as given; both read either spelling). What orjson would spell
differently from `json`, or refuses, is written by `json` exactly as before:

- a non-finite float (`json` writes `NaN`/`Infinity`; orjson would write `null`),
- an integer beyond 64 bits, a string with a lone surrogate, a key that is not a
  string, nesting beyond orjson's limit (orjson refuses them),
- datetimes and anything else `default` turns into text (orjson hands them to it).

Read: any JSON that `json` reads, as `json` reads it. orjson refuses `NaN` and
`Infinity` (which `json` wrote) and reads an integer beyond 64 bits as an
imprecise float: a text it refuses, or whose value holds a float that large, is
read again by `json`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import orjson


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# One encoder for what orjson cannot spell as json does: json.dumps with options builds
# a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True, default=_json_default)
_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME  # to `default`: isoformat(), as json spells them
    | orjson.OPT_PASSTHROUGH_DATACLASS  # to `default`, which refuses them as json does
)


def dumps(value: Any) -> str:
    """`value` as compact JSON text with sorted keys."""
    try:
        text = orjson.dumps(value, default=_json_default, option=_OPTIONS)
        # orjson writes a non-finite float as null and one of 2**63 or more with an
        # exponent (`1e+19`): a text with neither holds no float to look at.
        if (b"null" not in text and b"e+" not in text) or _plain_floats(value):
            return text.decode()
    except (TypeError, RecursionError):  # TypeError: orjson.JSONEncodeError
        pass  # json writes it, or raises its own error
    return _ENCODER.encode(value)


def loads(text: str | bytes) -> Any:
    """The value of a JSON text, as `json.loads` gives it."""
    try:
        value = orjson.loads(text)
        data = text.encode() if isinstance(text, str) else bytes(text)
        if data.translate(_DIGITS_AS_ZEROS).find(_DIGIT_RUN) < 0 or _plain_floats(value):
            return value
    except (orjson.JSONDecodeError, RecursionError):
        pass  # NaN, Infinity, 1e400, a lone surrogate, not JSON at all: json decides
    return json.loads(text)


# An integer orjson reads as a float (beyond 64 bits: 2**63 has 19 digits) is a run of 19
# digits at least: a text without one holds none, and its value is not walked. The run is
# looked for in the text's bytes with every digit made 0 and every other byte a space
# (C loops: a regular expression tries a match at every digit, slower than the walk).
_DIGITS_AS_ZEROS = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_DIGIT_RUN = b"0" * 19

# orjson reads an integer beyond 64 bits as a float at least this large (2**63 ≈ 9.22e18)
_BIG_FLOAT = 9.2e18


def _plain_floats(value: Any) -> bool:
    """Every float in `value` (a JSON-shaped tree) is finite and below 2**63 in size: orjson
    and json agree on how to write and read it."""
    kind = type(value)
    if kind is float:
        return bool(abs(value) < _BIG_FLOAT)  # False for NaN too
    if kind is dict:
        items = value.values()
    elif kind is list or kind is tuple:
        items = value
    else:
        return True
    for item in items:
        kind = type(item)
        if kind is float:
            if not abs(item) < _BIG_FLOAT:
                return False
        elif (kind is dict or kind is list or kind is tuple) and not _plain_floats(item):
            return False
    return True

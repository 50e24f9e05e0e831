"""A contacts or events line reads the same through orjson as through the strict `json` reading:
the same value, or the same error with its line, whatever the line holds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journey.ingest import LineError
from journey.ingest.jsonl import loads_strict, parse_json_line


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def _refuse(name: str) -> Any:
    raise ValueError(name)


def strict_json(text: str) -> Any:
    """The reading the engine promises: json, refusing NaN, Infinity and duplicate keys."""
    return json.loads(text, object_pairs_hook=_unique, parse_constant=_refuse)


def _typed(value: Any) -> str:
    return json.dumps(value)  # 1 and 1.0 differ, key order shows


keys = st.text(max_size=6) | st.sampled_from(["a", "a ", 'a"', "a\\", 'x":', "é"])
leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(['":', '\\":', '" :', "\u2028"])
)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=16,
)


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    """A line as users write them: any spacing, escaped or not, sometimes a key repeated."""
    value = draw(values)
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (" , ", " : "), (",", "\t:")]))
    text = json.dumps(value, separators=separators, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()) and text.startswith("{") and text != "{}":
        first_key = text[1 : text.index('"', 2) + 1]  # the first key, quotes and all
        text = "{" + first_key + separators[1] + "0" + separators[0] + text[1:]
    return text.encode() + draw(st.sampled_from([b"\n", b"\r\n", b""]))


@given(lines())
def test_a_line_reads_as_the_strict_json_reading_reads_it(raw: bytes) -> None:
    try:
        expected: Any = strict_json(raw.decode())
    except ValueError:
        expected = LineError
    found = parse_json_line(raw, 2)
    if expected is LineError:
        assert isinstance(found, LineError)
    else:
        assert _typed(found) == _typed(expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a": 1, "b": {"c": 1, "c": 2}}', "invalid JSON: duplicate key `c`"),
        (b'{"a" : 1, "a" : 2}', "invalid JSON: duplicate key `a`"),
        # the repeated key hides behind spacing, a `\":` inside a string makes up the count
        (b'{"a":1,"a" :2,"b" :"\\":"}', "invalid JSON: duplicate key `a`"),
        (b'{"n": NaN}', "invalid JSON: `NaN` is not valid JSON"),
        (b'{"n": -Infinity}', "invalid JSON: `-Infinity` is not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, "invalid JSON: nested too deeply"),
        (b'{"a": "\xff"}', "not UTF-8 text (byte 8)"),
        (b'\xef\xbb\xbf{"a": 1}', "invalid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)"),
        (b'{"a": 1,}', "invalid JSON: Expecting property name enclosed in double quotes"),
    ],
)
def test_a_hostile_line_gets_the_error_it_always_got(raw: bytes, message: str) -> None:
    found = parse_json_line(raw, 2)
    assert isinstance(found, LineError)
    assert found.line == 2
    assert found.message.startswith(message)


def test_numbers_read_as_json_reads_them() -> None:
    found = parse_json_line(b'{"big": 1180591620717411303424, "neg": [-9223372036854775809]}', 1)
    assert not isinstance(found, LineError)
    assert found["big"] == 2**70 and type(found["big"]) is int  # not orjson's rounded float
    assert found["neg"] == [-(2**63) - 1] and type(found["neg"][0]) is int
    assert parse_json_line(b'{"huge": 1e400}', 1) == {"huge": float("inf")}  # refused later


def test_a_request_body_reads_as_the_strict_json_reading_reads_it() -> None:
    assert loads_strict('{"events": [{"id": "e1"}, {"id": "e2"}]}') == {
        "events": [{"id": "e1"}, {"id": "e2"}]
    }
    with pytest.raises(ValueError, match="duplicate key `id`"):
        loads_strict('{"id": "e1", "id": "e2"}')
    with pytest.raises(json.JSONDecodeError, match="Extra data"):
        loads_strict('{"id": "e1"}\n{"id": "e2"}')

"""The stores' JSON text (journey.store.json_text): orjson's speed, json's answers.

A store file written by an older version (json's spelling: \\u escapes, NaN) still
reads; what the store writes now reads back as json would read it, and is json's
text byte for byte where the content is ASCII without floats.
"""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from journey.model import Contact
from journey.store import json_text
from journey.store.sqlite import SQLiteStore

# What the stores wrote before: json.dumps, compact, sorted keys, \u escapes, NaN allowed.
OLD = json.JSONEncoder(separators=(",", ":"), sort_keys=True)

any_floats = st.floats()
big_ints = st.integers(min_value=-(2**80), max_value=2**80)


def json_values(text: st.SearchStrategy[str], floats: st.SearchStrategy[float]) -> Any:
    leaves = st.none() | st.booleans() | big_ints | floats | text
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
        max_leaves=20,
    )


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types, NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@given(json_values(st.text(), any_floats))
def test_what_the_store_writes_reads_back_as_json_would_read_its_old_text(value: Any) -> None:
    written = json_text.dumps(value)
    assert _same(json.loads(written), json.loads(OLD.encode(value)))
    assert _same(json_text.loads(written), json.loads(written))


@given(json_values(st.text(alphabet=st.characters(max_codepoint=126)), st.nothing()))
def test_ascii_content_without_floats_is_written_as_json_wrote_it(value: Any) -> None:
    """Floats read back the same but may be spelled otherwise (5.2e-05 as 0.000052)."""
    assert json_text.dumps(value) == OLD.encode(value)


@given(json_values(st.text(), any_floats), st.booleans())
def test_any_text_json_wrote_reads_as_json_reads_it(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _same(json_text.loads(text), json.loads(text))
    assert _same(json_text.loads(text.encode()), json.loads(text))  # as PostgreSQL hands it


def test_a_store_file_written_by_json_still_reads(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    store.put_contact(Contact(id="c1"))
    store.close()
    old_text = '{"big":1180591620717411303424,"name":"Zo\\u00eb \\ud83d\\ude00","ratio":NaN}'
    with sqlite3.connect(tmp_path / "state.db") as conn:
        conn.execute("UPDATE contacts SET attributes = ? WHERE id = 'c1'", (old_text,))
    conn.close()

    store = SQLiteStore(tmp_path / "state.db")
    found = store.get_contact("c1")
    store.close()
    assert found is not None
    assert found.attributes["big"] == 2**70 and type(found.attributes["big"]) is int
    assert found.attributes["name"] == "Zoë 😀"
    assert math.isnan(found.attributes["ratio"])


def test_a_nan_set_on_a_contact_is_kept_as_json_kept_it(tmp_path: Path) -> None:
    """orjson would write NaN as null; the store writes NaN, as it always did, and reads
    it back (PostgreSQL's json refuses it, as it did)."""
    store = SQLiteStore(tmp_path / "state.db")
    store.put_contact(Contact(id="c1", attributes={"ratio": math.nan, "score": math.inf}))
    found = store.get_contact("c1")
    (text,) = store._one("SELECT attributes FROM contacts WHERE id = 'c1'")
    store.close()
    assert found is not None
    assert math.isnan(found.attributes["ratio"]) and found.attributes["score"] == math.inf
    assert text == '{"ratio":NaN,"score":Infinity}'


def test_text_in_any_script_is_written_as_utf8_and_erasing_finds_it_in_the_file(
    tmp_path: Path,
) -> None:
    """Erasing looks for the person's values in the file as the store spells them inside
    JSON: now UTF-8 with a quote escaped, before with \\u escapes (a file left by a version
    without secure delete, which this connection imitates, holds deleted rows' bytes)."""
    path = tmp_path / "state.db"
    store = SQLiteStore(path)
    store._conn.execute("PRAGMA secure_delete = OFF")
    name = 'Zoë "Zee" Øberg'
    store.put_contact(Contact(id="zo", attributes={"name": name}))
    store.put_contact(Contact(id="zo", attributes={"name": name, "visits": 2}))  # a copy
    spelled = 'Zoë \\"Zee\\" Øberg'.encode()
    assert spelled in path.read_bytes() or spelled in path.with_name("state.db-wal").read_bytes()

    assert store.delete_contact("zo")
    store.close()
    assert "Øberg".encode() not in path.read_bytes()


# Integers about the edges of 64 bits (orjson holds -2**63 .. 2**64-1, reads the rest as
# floats) and floats about 2**63, in every spelling a text may hold.
edge_ints = st.builds(
    lambda edge, step, sign: sign * (edge + step),
    st.sampled_from([2**63, 2**64, 10**18, 10**19]),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from([1, -1]),
) | st.integers(min_value=-(10**19), max_value=-(2**63))
edge_floats = st.floats(min_value=1e17, max_value=1e20) | st.sampled_from([1e18, 9.2e18, 9.3e18])
number_texts = st.from_regex(r"\A-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,22})?([eE][+-]?[0-9]{1,2})?\Z")


@given(
    json_values(st.text(alphabet='0123456789ab"\\ ', max_size=30), edge_floats)
    | json_values(st.text(max_size=5), any_floats).map(lambda v: [v, 2**70]),
    st.lists(edge_ints | number_texts | st.sampled_from(["NaN", "-Infinity", "1e400"])),
    st.booleans(),
)
def test_numbers_beyond_64_bits_or_near_them_read_as_json_reads_them(
    value: Any, numbers: list[Any], spaced: bool
) -> None:
    """A text with 19 digits in a row (an integer orjson cannot hold, or digits in a string)
    is looked at closer; one without is taken as orjson reads it: both give json's value."""
    texts = [
        json.dumps(value, separators=(", ", ": ") if spaced else (",", ":")),
        "[" + ",".join(str(n) for n in numbers) + "]",
        '{"n": ' + (str(numbers[0]) if numbers else "1e18") + "}",
    ]
    for text in texts:
        assert _same(json_text.loads(text), json.loads(text)), text
        assert _same(json_text.loads(text.encode()), json.loads(text)), text


def test_an_integer_beyond_64_bits_is_kept_whole_and_a_big_float_stays_a_float() -> None:
    assert json_text.loads('{"n":18446744073709551616}') == {"n": 2**64}
    assert json_text.loads("[-9223372036854775809]") == [-(2**63) - 1]
    assert json_text.loads('{"f":9.3e18,"g":1e19}') == {"f": 9.3e18, "g": 1e19}
    assert type(json_text.loads("[9.3e18]")[0]) is float
    assert json_text.loads('{"id":"1234567890123456789012","n":1.5}') == {
        "id": "1234567890123456789012",
        "n": 1.5,
    }

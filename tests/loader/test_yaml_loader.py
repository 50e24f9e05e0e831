"""The loader keeps what the marketer wrote, says where, and refuses hostile files."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from journey.loader import BoolWord, load_yaml, load_yaml_bytes, load_yaml_text


def codes(doc):  # type: ignore[no-untyped-def]
    return [(d.code, d.location.line, d.location.col) for d in doc.diagnostics]


def test_positions_point_at_the_key_of_a_member() -> None:
    doc = load_yaml_text("id: a\nsteps:\n  - id: x\n    wait: 2d\n", "j.yaml")
    loc = doc.location(("steps", 0, "wait"))
    assert (loc.line, loc.col, loc.json_path) == (4, 5, "steps[0].wait")
    assert doc.location(("steps", 0, "wait"), value=True).col == 11


def test_location_falls_back_to_nearest_ancestor() -> None:
    doc = load_yaml_text("id: a\nsteps:\n  - id: x\n", "j.yaml")
    assert doc.location(("steps", 0, "missing", "deeper")).line == 3


def test_times_dates_and_sexagesimal_stay_strings() -> None:
    doc = load_yaml_text("time: 9:30\nday: 2026-03-01\nat: 2026-03-01T10:00:00Z\n", "j")
    assert doc.data == {"time": "9:30", "day": "2026-03-01", "at": "2026-03-01T10:00:00Z"}


def test_core_schema_scalars() -> None:
    doc = load_yaml_text("a: true\nb: 12\nc: 1.5\nd: null\ne: ~\nf: 0x10\ng: '12'\n", "j")
    assert doc.data == {"a": True, "b": 12, "c": 1.5, "d": None, "e": None, "f": 16, "g": "12"}


def test_plain_yes_no_are_kept_as_bool_words_with_their_path() -> None:
    doc = load_yaml_text('locales: [en, no]\nquoted: "no"\ncap: off\n', "j")
    assert doc.data["locales"][1] == "no" and isinstance(doc.data["locales"][1], BoolWord)
    assert not isinstance(doc.data["quoted"], BoolWord)
    assert doc.bool_words == [("locales", 1), ("cap",)]
    assert doc.data["cap"].as_bool() is False


def test_duplicate_keys_are_reported_with_both_lines() -> None:
    doc = load_yaml_text("id: a\nname: x\nid: b\n", "j")
    assert codes(doc) == [("duplicate-key", 3, 1)]
    assert "line 1" in doc.diagnostics[0].message
    assert doc.data["id"] == "a"


def test_billion_laughs_fails_fast() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    started = time.perf_counter()
    doc = load_yaml_text("\n".join(lines), "bomb.yaml")
    assert time.perf_counter() - started < 5
    assert doc.data is None
    assert [d.code for d in doc.diagnostics] == ["yaml-too-complex"]


def test_syntax_error_has_line_and_column() -> None:
    doc = load_yaml_text("id: a\nsteps: [1\nname: b\n", "j")
    assert doc.diagnostics[0].code == "yaml-syntax"
    assert doc.diagnostics[0].location.line == 3


def test_tabs_get_a_hint() -> None:
    doc = load_yaml_text("id: a\n\tname: b\n", "j")
    assert doc.diagnostics[0].code == "yaml-syntax"
    assert doc.diagnostics[0].hint and "tab" in doc.diagnostics[0].hint


def test_python_tags_are_refused() -> None:
    doc = load_yaml_text("a: !!python/object/apply:os.system ['echo hi']\n", "j")
    assert "unsupported-yaml-tag" in [d.code for d in doc.diagnostics]


def test_merge_keys_are_reported() -> None:
    doc = load_yaml_text("base: &b {x: 1}\nother:\n  <<: *b\n", "j")
    assert [d.code for d in doc.diagnostics] == ["unsupported-yaml-merge"]


def test_multiple_documents() -> None:
    doc = load_yaml_text("id: a\n---\nid: b\n", "j")
    assert [d.code for d in doc.diagnostics] == ["multiple-documents"]


def test_binary_and_non_utf8_files() -> None:
    assert load_yaml_bytes(b"\x89PNG\r\n\x1a\n\x00\x00", "p.yaml").diagnostics[0].code == (
        "binary-file"
    )
    latin = load_yaml_bytes("id: a\nname: caf\u00e9\n".encode("latin-1"), "l.yaml")
    assert (latin.diagnostics[0].code, latin.diagnostics[0].location.line) == ("not-utf8", 2)


def test_size_limit_and_missing_file(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 2000)
    assert load_yaml(big, max_bytes=1000).diagnostics[0].code == "file-too-large"
    assert load_yaml(tmp_path / "nope.yaml").diagnostics[0].code == "unreadable-file"


def test_empty_value_is_null() -> None:
    assert load_yaml_text("a:\nb: ''\n", "e").data == {"a": None, "b": ""}


def test_empty_file_is_an_empty_mapping() -> None:
    assert load_yaml_text("", "e").data == {}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_loader_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    doc = load_yaml_bytes(raw, "fuzz.yaml")
    assert doc.data is not None or doc.diagnostics

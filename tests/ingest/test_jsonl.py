from __future__ import annotations

import io
from pathlib import Path

from journey.ingest import LineError, read_jsonl
from journey.ingest.jsonl import count_jsonl_lines, read_jsonl_at


def test_good_and_bad_lines_come_back_with_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"a": 1}\n\nnot json\n{"a": 1, "a": 2}\n[NaN]\n\xff\xfe\n{"b": 2}')
    results = list(read_jsonl(path))
    assert [line for line, _ in results] == [1, 3, 4, 5, 6, 7]
    assert results[0][1] == {"a": 1}
    assert results[-1][1] == {"b": 2}
    errors = {line: value.message for line, value in results if isinstance(value, LineError)}
    assert "invalid JSON" in errors[3]
    assert "duplicate key `a`" in errors[4]
    assert "NaN" in errors[5]
    assert "not UTF-8" in errors[6]


def test_overlong_line_is_skipped_and_reading_goes_on() -> None:
    stream = io.BytesIO(b'{"a": "' + b"x" * 5000 + b'"}\n{"ok": true}\n')
    results = list(read_jsonl(stream, max_line_bytes=1000))
    assert isinstance(results[0][1], LineError)
    assert "longer than 1000 bytes" in results[0][1].message
    assert results[1] == (2, {"ok": True})


def test_byte_order_mark_on_the_first_line_is_ignored() -> None:
    assert list(read_jsonl(io.BytesIO(b'\xef\xbb\xbf{"a": 1}\n'))) == [(1, {"a": 1})]


def test_reading_is_streaming() -> None:
    """The reader yields the first line before the rest of the stream is read."""

    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            chunk = b'{"n": 1}\n' * (len(buffer) // 9)
            buffer[: len(chunk)] = chunk
            return len(chunk)

    reader = read_jsonl(io.BufferedReader(Endless()))  # type: ignore[type-var]
    assert next(reader) == (1, {"n": 1})
    assert next(reader) == (2, {"n": 1})


def test_reading_chosen_lines_numbers_them_as_the_whole_file_does(tmp_path: Path) -> None:
    path = tmp_path / "contacts.jsonl"
    long_line = '{"id": "' + "x" * 100 + '"}'
    path.write_text('{"id": "a"}\n\nnot json at all\n' + long_line + '\n{"id": "e"}\n')
    whole = dict(read_jsonl(path, max_line_bytes=64))
    chosen = dict(read_jsonl_at(path, {1, 3, 4, 5}, max_line_bytes=64))
    assert chosen == whole  # the blank line 2 is skipped by both
    assert dict(read_jsonl_at(path, {5})) == {5: {"id": "e"}}  # line 3 never parsed
    assert isinstance(chosen[4], LineError) and "longer than 64 bytes" in chosen[4].message


def test_counting_lines_skips_blank_ones_and_does_not_parse(tmp_path: Path) -> None:
    path = tmp_path / "contacts.jsonl"
    path.write_text('{"id": "a"}\n\n  \nnot json\n{"id": "b"}')
    assert count_jsonl_lines(path) == 3

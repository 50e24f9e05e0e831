"""JSON Lines, read one line at a time with a bound on each line.

Files of millions of lines are never held in memory; a broken line becomes a
:class:`LineError` value carrying its line number, so the caller reports it and
goes on with the next one.
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from journey.ingest import fast_json

MAX_LINE_BYTES = 1_048_576


@dataclass(frozen=True, slots=True, kw_only=True)
class LineError:
    line: int
    message: str


class _DuplicateKey(ValueError):
    pass


def loads_strict(text: str | bytes) -> Any:
    """json.loads without NaN/Infinity and without silently dropped duplicate keys."""
    value = fast_json.read(text)
    return _json_strict(text) if value is fast_json.UNSURE else value


def _json_strict(text: str | bytes) -> Any:
    """What `loads_strict` is: orjson's reading, where it is sure, is the same."""
    return json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_no_constant)


def read_jsonl(
    source: str | Path | IO[bytes], *, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, Any | LineError]]:
    """Yield `(line_no, value)` for each non-blank line, or `(line_no, LineError)`."""
    if isinstance(source, str | Path):
        with open(source, "rb") as stream:
            yield from _read(stream, max_line_bytes)
    else:
        yield from _read(source, max_line_bytes)


def _read(stream: IO[bytes], max_line_bytes: int) -> Iterator[tuple[int, Any | LineError]]:
    for line_no, _raw, value in _read_lines(stream, max_line_bytes):
        yield line_no, value


def read_jsonl_lines(
    path: Path, *, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes, Any | LineError]]:
    """As `read_jsonl`, with each line's bytes as read (to copy a line on unchanged)."""
    with open(path, "rb") as stream:
        yield from _read_lines(stream, max_line_bytes)


def read_jsonl_at(
    path: Path, wanted: Container[int], *, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, Any | LineError]]:
    """As `read_jsonl`, for the lines numbered in `wanted` only: the others are
    counted, not parsed (a forecast reads the few lines of its sample)."""
    with open(path, "rb") as stream:
        for line_no, raw, too_long in _raw_lines(stream, max_line_bytes):
            if line_no not in wanted:
                continue
            if too_long:
                yield line_no, _too_long(line_no, max_line_bytes)
            elif raw.strip():
                yield line_no, parse_json_line(raw, line_no)


def count_jsonl_lines(path: Path) -> int:
    """The non-blank lines of a JSONL file, unparsed (for a progress bar)."""
    count = 0
    with open(path, "rb") as stream:
        for raw in stream:
            count += bool(raw.strip())
    return count


def _read_lines(
    stream: IO[bytes], max_line_bytes: int
) -> Iterator[tuple[int, bytes, Any | LineError]]:
    for line_no, raw, too_long in _raw_lines(stream, max_line_bytes):
        if too_long:
            yield line_no, raw, _too_long(line_no, max_line_bytes)
        elif raw.strip():
            yield line_no, raw, parse_json_line(raw, line_no)


def _raw_lines(stream: IO[bytes], max_line_bytes: int) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, bytes, too long) per line; the rest of a too-long line is skipped."""
    line_no = 0
    while True:
        raw = stream.readline(max_line_bytes + 1)
        if not raw:
            return
        line_no += 1
        too_long = len(raw) > max_line_bytes and not raw.endswith(b"\n")
        if too_long:
            _skip_rest_of_line(stream)
        yield line_no, raw, too_long


def _too_long(line_no: int, max_line_bytes: int) -> LineError:
    return LineError(line=line_no, message=f"line is longer than {max_line_bytes} bytes; skipped")


def parse_json_line(raw: bytes, line_no: int) -> Any | LineError:
    """One non-blank line of JSONL -> its value, or a LineError."""
    value = fast_json.read(raw)
    if value is not fast_json.UNSURE:
        return value
    try:
        text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        return LineError(line=line_no, message=f"not UTF-8 text (byte {exc.start + 1})")
    try:
        return _json_strict(text)
    except json.JSONDecodeError as exc:
        return LineError(line=line_no, message=f"invalid JSON: {exc.msg} (column {exc.colno})")
    except (_DuplicateKey, ValueError) as exc:
        return LineError(line=line_no, message=f"invalid JSON: {exc}")
    except RecursionError:
        return LineError(line=line_no, message="invalid JSON: nested too deeply")


def _skip_rest_of_line(stream: IO[bytes]) -> None:
    while True:
        chunk = stream.readline(65536)
        if not chunk or chunk.endswith(b"\n"):
            return


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(f"duplicate key `{key}`")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"`{name}` is not valid JSON")

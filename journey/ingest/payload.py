"""An HTTP request body -> the records it carries.

`POST /v1/events` and `POST /v1/contacts` take one JSON object, a batch
(`{"events": [...]}` / `{"contacts": [...]}`, or a bare array), or JSON Lines.
Every record keeps where it came from (`line` or `index`) so an error can say
which one is wrong. One bad record fails alone: a broken JSON line or an invalid
record is refused by itself (journey.ingest.replies), the others go on. Only a
body that cannot be split into records at all is one 400.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from journey.ingest.jsonl import LineError, loads_strict, parse_json_line
from journey.ingest.records import RecordError

T = TypeVar("T")

JSON_TYPES = frozenset({"application/json"})
JSONL_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    }
)


@dataclass(kw_only=True)
class PayloadError(Exception):
    """What is wrong with a body, and where; becomes a 400 JSON error."""

    message: str
    line: int | None = None
    index: int | None = None

    def __str__(self) -> str:
        return self.message

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message}
        if self.line is not None:
            body["line"] = self.line
        if self.index is not None:
            body["index"] = self.index
        return body


@dataclass(frozen=True, slots=True, kw_only=True)
class Located:
    """One record of a body; `value` is a LineError for a JSON line that did not parse."""

    value: Any
    line: int | None = None
    index: int | None = None

    def where(self) -> dict[str, int]:
        if self.index is not None:
            return {"index": self.index}
        return {"line": self.line} if self.line is not None else {}


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_supported(content_type: str | None) -> bool:
    kind = media_type(content_type)
    return kind in JSON_TYPES or kind in JSONL_TYPES


def split_body(body: bytes, content_type: str | None, *, collection: str) -> list[Located]:
    """The records of a body; `collection` is the batch key (`events`, `contacts`)."""
    if media_type(content_type) in JSONL_TYPES:
        return _jsonl(body)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PayloadError(message=f"body is not UTF-8 (byte {exc.start + 1})") from None
    if not text.strip():
        raise PayloadError(message="empty body")
    try:
        data = loads_strict(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # several objects, one a line: read it as JSON Lines
            return _jsonl(body)
        raise PayloadError(
            message=f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None
    except (ValueError, RecursionError) as exc:
        raise PayloadError(message=f"invalid JSON: {exc}") from None
    if isinstance(data, dict) and set(data) == {collection}:
        data = data[collection]
        if not isinstance(data, list):
            raise PayloadError(message=f"`{collection}` must be a list")
    if isinstance(data, list):
        return [Located(value=item, index=i) for i, item in enumerate(data)]
    return [Located(value=data, line=1)]


def parse_each(items: list[Located], parse: Callable[[Any], T]) -> list[T | RecordError]:
    """Each record parsed, or the RecordError saying why it is refused (in order)."""
    parsed: list[T | RecordError] = []
    for item in items:
        if isinstance(item.value, LineError):
            parsed.append(RecordError(item.value.message))
            continue
        try:
            parsed.append(parse(item.value))
        except RecordError as exc:
            parsed.append(exc)
    return parsed


def _jsonl(body: bytes) -> list[Located]:
    items: list[Located] = []
    for line_no, raw in enumerate(body.split(b"\n"), start=1):
        if not raw.strip():
            continue
        items.append(Located(value=parse_json_line(raw, line_no), line=line_no))
    if not items:
        raise PayloadError(message="empty body")
    return items

"""Feeding a JSONL file through a parser into batches: the loop behind `ingest` and `import`.

It knows nothing about stores or engines: the caller's `commit` stores one
batch (in one transaction) and says what happened to each record. Bad lines
are handed to `on_bad` and skipped; good ones are kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

from journey.ingest.jsonl import MAX_LINE_BYTES, LineError, read_jsonl
from journey.ingest.records import RecordError

T = TypeVar("T")

DEFAULT_BATCH = 1000


@dataclass(slots=True)
class FeedSummary:
    good: int = 0
    bad: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # e.g. stored, duplicate, deleted


def feed(
    stream: IO[bytes],
    *,
    parse: Callable[[Any], T],
    commit: Callable[[list[T]], Iterable[str]],
    on_bad: Callable[[LineError], None],
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = DEFAULT_BATCH,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> FeedSummary:
    """Read, parse and commit in batches; memory stays bounded by one batch."""
    summary = FeedSummary()
    batch: list[T] = []

    def flush() -> None:
        if batch:
            summary.outcomes.update(commit(batch))
            batch.clear()
        if on_progress is not None:
            on_progress(_position(stream))

    for line_no, value in read_jsonl(stream, max_line_bytes=max_line_bytes):
        if isinstance(value, LineError):
            summary.bad += 1
            on_bad(value)
            continue
        try:
            batch.append(parse(value))
        except RecordError as exc:
            summary.bad += 1
            on_bad(LineError(line=line_no, message=str(exc)))
            continue
        summary.good += 1
        if len(batch) >= batch_size:
            flush()
    flush()
    return summary


def _position(stream: IO[bytes]) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0

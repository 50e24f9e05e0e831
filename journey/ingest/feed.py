"""Feeding a JSONL file through a parser into batches: the loop behind `ingest` and `import`.

It knows nothing about stores or engines: the caller's `commit` stores one
batch (in one transaction) and says what happened to each record: an outcome
word, or a RecordError for a record refused at commit time (an event id reused
for other content). Bad lines are handed to `on_bad` and skipped; good ones
are kept.
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
    good: int = 0  # lines accepted (stored, duplicates, queued...)
    bad: int = 0  # lines refused, each reported to on_bad
    outcomes: Counter[str] = field(default_factory=Counter)  # e.g. stored, duplicate, deleted


def feed(
    stream: IO[bytes],
    *,
    parse: Callable[[Any], T],
    commit: Callable[[list[T]], Iterable[str | RecordError]],
    on_bad: Callable[[LineError], None],
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = DEFAULT_BATCH,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> FeedSummary:
    """Read, parse and commit in batches; memory stays bounded by one batch."""
    summary = FeedSummary()
    batch: list[T] = []
    lines: list[int] = []
    refused: list[LineError] = []  # reported at the next flush, in line order

    def refuse(line_no: int, message: str) -> None:
        summary.bad += 1
        refused.append(LineError(line=line_no, message=message))

    def flush() -> None:
        if batch:
            for line_no, outcome in zip(lines, commit(batch), strict=True):
                if isinstance(outcome, RecordError):
                    refuse(line_no, str(outcome))
                else:
                    summary.good += 1
                    summary.outcomes[outcome] += 1
            batch.clear()
            lines.clear()
        for error in sorted(refused, key=lambda e: e.line):
            on_bad(error)
        refused.clear()
        if on_progress is not None:
            on_progress(_position(stream))

    for line_no, value in read_jsonl(stream, max_line_bytes=max_line_bytes):
        if isinstance(value, LineError):
            refuse(value.line, value.message)
        else:
            try:
                batch.append(parse(value))
            except RecordError as exc:
                refuse(line_no, str(exc))
            else:
                lines.append(line_no)
        if len(batch) >= batch_size or len(refused) >= batch_size:
            flush()
    flush()
    return summary


def _position(stream: IO[bytes]) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0

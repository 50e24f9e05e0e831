"""What `POST /v1/events` and `POST /v1/contacts` answer: each record accepted or refused alone.

The HTTP server only reads the body and calls these; they split it, parse
every record, hand the good ones to the daemon's callback and build the JSON
answer. Status: 202 (events) / 200 (contacts) when every record was accepted;
207 when some were and some were refused; when none was, 409 if every refusal
is an event-id conflict, else 400. `errors` lists each refusal with its
`index` (batch) or `line` (JSON Lines), its own status and message, and
`refused` counts them (both only when something was refused); the first is
repeated as the top-level `error` whenever the status is 4xx.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from journey.ingest.dedup import conflict_error
from journey.ingest.payload import Located, parse_each, split_body
from journey.ingest.records import ContactChange, RecordError, parse_contact, parse_event
from journey.model import Event

Reply = tuple[int, dict[str, Any]]
T = TypeVar("T")


def events_reply(
    body: bytes,
    content_type: str | None,
    *,
    now: datetime,
    ingest: Callable[[list[Event]], Sequence[str]],
    check: Callable[[Event], Event] | None = None,
) -> Reply:
    """`ingest` answers per event `new`, `duplicate` or `conflict` (journey.ingest.dedup).

    `check` holds each parsed event against the declarations (journey.ingest.door).
    """
    items = split_body(body, content_type, collection="events")
    parsed = parse_each(items, lambda obj: _checked(check, parse_event(obj, received_at=now)))
    events = [p for p in parsed if isinstance(p, Event)]
    verdicts = iter(ingest(events) if events else [])
    errors: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    ids: list[str | None] = []
    for item, result in zip(items, parsed, strict=True):
        if isinstance(result, Event):
            verdict = next(verdicts)
            if verdict == "conflict":
                errors.append(_refusal(item, conflict_error(result), 409))
                ids.append(None)
                continue
            counts[verdict] += 1
            ids.append(result.id)
        else:
            errors.append(_refusal(item, result, 400))
            ids.append(None)
    reply: dict[str, Any] = {"stored": counts["new"], "duplicates": counts["duplicate"], "ids": ids}
    return _status(202, len(items), errors, reply)


def contacts_reply(
    body: bytes,
    content_type: str | None,
    *,
    change: Callable[[list[ContactChange]], Sequence[str]],
    check: Callable[[ContactChange], ContactChange] | None = None,
) -> Reply:
    """`change` answers an outcome word per accepted change (`accepted`, `deleted`, ...)."""
    items = split_body(body, content_type, collection="contacts")
    parsed = parse_each(items, lambda obj: _checked(check, parse_contact(obj)))
    changes = [p for p in parsed if isinstance(p, ContactChange)]
    outcomes = list(change(changes)) if changes else []
    errors = [
        _refusal(item, result, 400)
        for item, result in zip(items, parsed, strict=True)
        if isinstance(result, RecordError)
    ]
    reply: dict[str, Any] = {"contacts": len(changes)}
    reply.update(Counter(outcomes))
    return _status(200, len(items), errors, reply)


def _checked(check: Callable[[T], T] | None, record: T) -> T:
    return record if check is None else check(record)


def _refusal(item: Located, error: RecordError, status: int) -> dict[str, Any]:
    return {**item.where(), "status": status, "error": str(error)}


def _status(ok: int, total: int, errors: list[dict[str, Any]], reply: dict[str, Any]) -> Reply:
    if not errors:
        return ok, reply
    reply.update(refused=len(errors), errors=errors)
    if len(errors) < total:
        return 207, reply
    first = errors[0]
    reply.update(error=first["error"], **{k: first[k] for k in ("index", "line") if k in first})
    return (409 if all(e["status"] == 409 for e in errors) else 400), reply

"""Is an incoming event new, a repeat of one already seen, or another event under a used id?

The same id with the same content is an idempotent re-send and is skipped; the
same id with different content is a conflict the sender must hear about (its
event would otherwise be dropped without a word). Content is what the sender
said: name, contact, instant and properties, not when it arrived. An event
sent without a timestamp took its arrival as its instant, so its instant is not
compared: a re-send of it is still a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Literal

from journey.ingest.records import RecordError
from journey.model import Event
from journey.text import visible

Verdict = Literal["new", "duplicate", "conflict"]


def same_content(a: Event, b: Event) -> bool:
    if (a.name, a.contact_id, a.properties) != (b.name, b.contact_id, b.properties):
        return False
    stated_a, stated_b = _stated_instant(a), _stated_instant(b)
    return stated_a is None or stated_b is None or stated_a == stated_b


def _stated_instant(event: Event) -> datetime | None:
    """The timestamp the sender gave; None when it was taken from the arrival (parse_event)."""
    return None if event.timestamp == event.received_at else event.timestamp


def sort_events(events: Sequence[Event], seen: Mapping[str, Event]) -> list[Verdict]:
    """One verdict per event, in order; a later copy in the same batch counts as seen."""
    known = dict(seen)
    verdicts: list[Verdict] = []
    for event in events:
        prior = known.get(event.id)
        if prior is None:
            known[event.id] = event
            verdicts.append("new")
        else:
            verdicts.append("duplicate" if same_content(prior, event) else "conflict")
    return verdicts


def take_new(
    events: Sequence[Event],
    lookup: Callable[[Sequence[str]], Mapping[str, Event]],
    handle: Callable[[list[Event]], object],
) -> list[Verdict]:
    """Sort `events` against what `lookup` (the store's events_by_id) knows; `handle` the new.

    Run it inside one write transaction, so no other writer slips in between.
    """
    verdicts = sort_events(events, lookup([e.id for e in events]))
    handle([e for e, v in zip(events, verdicts, strict=True) if v == "new"])
    return verdicts


def conflict_error(event: Event) -> RecordError:
    return RecordError(
        f"event id `{visible(event.id)}` was already used for an event with different content"
        " (name, contact_id, timestamp or properties); give this event its own id"
    )

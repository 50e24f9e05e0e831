"""The durable hand-off between "acknowledged" and "processed".

HTTP ingestion (and the daemon's own outcome events) append to the store's
inbox and return at once; the daemon's worker thread drains it in order, through
the same Runner calls `journey ingest` uses, and removes the items in the
transaction that processed them. An event that was acknowledged is therefore
never lost by a crash, and one processed twice is deduplicated by its id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from journey.ingest.dedup import Verdict, take_new
from journey.model import Event
from journey.store import codec
from journey.store.abc import InboxItem, StateStore
from journey.store.codec import ts


@runtime_checkable
class KnowsErasures(Protocol):
    """A store that keeps tombstones of erased contacts (the SQLite store)."""

    def is_erased(self, contact_id: str) -> bool: ...


EVENT = "event"
CONTACT = "contact"
DELETE_CONTACT = "delete_contact"


def event_body(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "name": event.name,
        "contact_id": event.contact_id,
        "timestamp": ts(event.timestamp),
        "properties": event.properties,
        "received_at": ts(event.received_at) if event.received_at else None,
    }


def event_from_body(body: Mapping[str, Any], received_at: datetime) -> Event:
    return codec.event_from_body(dict(body), received_at)


def enqueue_events(store: StateStore, events: Iterable[Event], now: datetime) -> int:
    """Durably accept events for the daemon (the HTTP endpoint's path); returns how many."""
    items = [(EVENT, event_body(event)) for event in events]
    if items:
        store.enqueue(items, now)
    return len(items)


def accept_events(store: StateStore, events: Sequence[Event], now: datetime) -> list[Verdict]:
    """Enqueue the events not seen before; a verdict per event, in order.

    The look-up and the append share one write transaction, so of two
    concurrent senders of the same new id exactly one hears "new".
    """
    with store.transaction():
        return take_new(events, store.events_by_id, lambda new: enqueue_events(store, new, now))


def enqueue_contacts(store: StateStore, patches: Sequence[Mapping[str, Any]], now: datetime) -> int:
    """Contact upserts as JSON records (spec section 1); `{"id", "delete": true}` erases."""
    items: list[tuple[str, dict[str, Any]]] = []
    for patch in patches:
        if patch.get("delete") is True:
            items.append((DELETE_CONTACT, {"id": patch["id"]}))
        else:
            items.append((CONTACT, dict(patch)))
    if items:
        store.enqueue(items, now)
    return len(items)


def about_erased(store: StateStore, item: InboxItem) -> bool:
    """An event or contact change for an erased contact (refused); an erase again is not."""
    if not isinstance(store, KnowsErasures):
        return False
    if item.kind == EVENT:
        return store.is_erased(str(item.body.get("contact_id", "")))
    if item.kind == CONTACT:
        return store.is_erased(str(item.body.get("id", "")))
    return False


def describe(item: InboxItem) -> str:
    body = item.body
    return f"{item.kind} {body.get('id', '?')}"

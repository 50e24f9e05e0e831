"""Event counts for a batch of contacts, read once per question for all of them.

A per-contact time trigger (a schedule in each contact's zone, a date, an
inactivity) fires for a batch of contacts at one `now`; their audience asks the
same `has_event(NAME, within=...)` of every one of them, and in one zone the
window is the same. `CountsAhead` answers the first such question with one
grouped read of the whole batch (`StateStore.count_events_of`) and every later
one from memory, so the batch costs one read per window instead of one per
contact. A count is what `count_events` would have said inside the same
transaction: nothing writes events while a batch is fired (events come only
through `Runner.handle_event`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from journey.engine.context import History
from journey.model import Event, Plan, SplitStep

if TYPE_CHECKING:
    from journey.store.abc import StateStore


class CountsAhead:
    """The batch's event counts, one grouped read per (name, since, until)."""

    def __init__(self, store: StateStore, contact_ids: Sequence[str]) -> None:
        self.store = store
        self.contact_ids = list(dict.fromkeys(contact_ids))
        self.known = frozenset(self.contact_ids)
        self._counts: dict[tuple[str, datetime | None, datetime], dict[str, int]] = {}

    def count(self, contact_id: str, name: str, since: datetime | None, until: datetime) -> int:
        key = (name, since, until)
        counts = self._counts.get(key)
        if counts is None:
            counts = self.store.count_events_of(self.contact_ids, name, since, until)
            self._counts[key] = counts
        return counts.get(contact_id, 0)

    def history(self, contact_id: str, base: History) -> History:
        """`base` (the contact's own history) with its event counts answered from the batch."""
        return _CountedHistory(self, contact_id, base)


class _CountedHistory:
    __slots__ = ("ahead", "base", "contact_id")

    def __init__(self, ahead: CountsAhead, contact_id: str, base: History) -> None:
        self.ahead = ahead
        self.contact_id = contact_id
        self.base = base

    def count_events(self, name: str, since: datetime | None, until: datetime) -> int:
        if type(name) is not str or self.contact_id not in self.ahead.known:
            # a marketer's `has_event(['a'])` fails as the store's own lookup fails
            return self.base.count_events(name, since, until)
        return self.ahead.count(self.contact_id, name, since, until)

    def marketing_send_times(self, since: datetime) -> list[datetime]:
        return self.base.marketing_send_times(since)

    def last_event_at(self, name: str, until: datetime) -> datetime | None:
        return self.base.last_event_at(name, until)

    def last_event(self, name: str, until: datetime) -> Event | None:
        return self.base.last_event(name, until)

    def first_event_at(self, name: str, since: datetime) -> datetime | None:
        return self.base.first_event_at(name, since)

    def split_winner(self, plan: Plan, step: SplitStep, now: datetime) -> str | None:
        return self.base.split_winner(plan, step, now)

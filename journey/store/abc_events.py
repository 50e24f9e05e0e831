"""The StateStore contract, a contact's events and the history's retention (part of
journey.store.abc)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from journey.model import Event
from journey.records import HistoryExpired


class EventHistory(ABC):
    @abstractmethod
    def add_event(self, event: Event) -> bool:
        """Store the event; False if its id is already stored (deduplication)."""

    def add_events(self, events: Sequence[Event]) -> None:
        """Store many events at once, ignoring ids already stored."""
        for event in events:
            self.add_event(event)

    @abstractmethod
    def count_events(
        self, contact_id: str, name: str, since: datetime | None, until: datetime
    ) -> int:
        """Events of `name` for the contact with since <= timestamp <= until."""

    def count_events_of(
        self, contact_ids: Sequence[str], name: str, since: datetime | None, until: datetime
    ) -> dict[str, int]:
        """`count_events` for many contacts at once: contact id -> count, for those with
        at least one such event (a contact left out has none)."""
        found = {c: self.count_events(c, name, since, until) for c in dict.fromkeys(contact_ids)}
        return {contact_id: count for contact_id, count in found.items() if count}

    @abstractmethod
    def last_event_at(self, contact_id: str, name: str, until: datetime) -> datetime | None: ...

    def last_events_at_of(
        self, contact_ids: Sequence[str], name: str, until: datetime
    ) -> dict[str, datetime]:
        """`last_event_at` for many contacts at once: contact id -> latest timestamp, for
        those with such an event (a contact left out has none)."""
        found = {c: self.last_event_at(c, name, until) for c in dict.fromkeys(contact_ids)}
        return {contact_id: at for contact_id, at in found.items() if at is not None}

    @abstractmethod
    def last_event(self, contact_id: str, name: str, until: datetime) -> Event | None:
        """The contact's latest event of `name` at or before `until`, properties and all.

        Of events at the same instant, the one received last (then the greatest id).
        """

    @abstractmethod
    def first_event_at(self, contact_id: str, name: str, since: datetime) -> datetime | None:
        """The earliest event of `name` for the contact at or after `since` (future ones too)."""

    @abstractmethod
    def delete_events_before(self, cutoff: datetime) -> int:
        """Retention: forget events older than the workspace's event_retention."""

    @abstractmethod
    def expire_history(self, before: datetime) -> HistoryExpired:
        """Retention of the history tables: events, step history and finished deliveries.

        Rows at or after `before` are kept; so is every live delivery (pending,
        uncertain, parked, dead, unconfirmed: not FINISHED_DELIVERY_STATUSES), however
        old. Older rows go: SQLite deletes them in batches; PostgreSQL drops whole
        monthly partitions, so rows of the month that holds `before` stay until that
        month is wholly older. Returns what was removed.
        """

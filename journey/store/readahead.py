"""Read-ahead for one batch of events: contacts and enrollments in two queries, not three per event.

The daemon processes an inbox batch in one transaction; reading every contact
and every enrollment of the batch's contacts up front answers the per-event
reads (contact, active enrollments, latest enrollment) from memory. A write
that touches a contact forgets that contact, so every later read for it goes
to the database and sees the write: answers never differ from the queries'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from journey.model import Contact
from journey.records import Enrollment


@dataclass(slots=True)
class ReadAhead:
    """What one transaction read ahead; valid only inside that transaction."""

    contacts: dict[str, Contact | None] = field(default_factory=dict)
    # contact id -> (rowid, enrollment), in rowid order
    enrollments: dict[str, list[tuple[int, Enrollment]]] = field(default_factory=dict)

    def forget(self, contact_id: str) -> None:
        self.contacts.pop(contact_id, None)
        self.enrollments.pop(contact_id, None)

    def knows(self, contact_id: str) -> bool:
        return contact_id in self.enrollments

    def active(self, contact_id: str) -> list[Enrollment]:
        """In the order of the SQL query's index: journey id, then rowid."""
        rows = sorted(
            (e.journey_id, rowid, e)
            for rowid, e in self.enrollments[contact_id]
            if e.status == "active"
        )
        return [e for _, _, e in rows]

    def of_journey(self, journey_id: str, contact_id: str) -> list[tuple[int, Enrollment]]:
        return [(r, e) for r, e in self.enrollments[contact_id] if e.journey_id == journey_id]

    def latest(self, journey_id: str, contact_id: str) -> Enrollment | None:
        """Latest entered, ties broken by the later row, as `latest_enrollment`'s ORDER BY."""
        found = self.of_journey(journey_id, contact_id)
        if not found:
            return None
        return max(found, key=lambda pair: (pair[1].entered_at, pair[0]))[1]

    def unconverted(self, journey_id: str, contact_id: str) -> list[Enrollment]:
        return [e for _, e in self.of_journey(journey_id, contact_id) if e.converted_at is None]

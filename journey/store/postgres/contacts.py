"""PostgreSQL store, contacts and their events: upsert, erase everything about one, count."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from journey.model import Contact, Event
from journey.store import codec
from journey.store.postgres import rows as pg
from journey.store.postgres.dedupe import EVENT_KEYS
from journey.store.postgres.erasure import ContactErased, PostgresErasure

_CONTACT_MARKS = ", ".join(["%s"] * 9)
_UPSERT_CONTACT = (
    f"INSERT INTO contacts ({codec.CONTACT_COLUMNS}) VALUES ({_CONTACT_MARKS})"
    " ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, phone = EXCLUDED.phone,"
    " locale = EXCLUDED.locale, timezone = EXCLUDED.timezone,"
    " created_at = EXCLUDED.created_at, consent = EXCLUDED.consent,"
    " attributes = EXCLUDED.attributes, topics = EXCLUDED.topics"
)
# its key first (journey.store.postgres.dedupe): stored once across every partition
_INSERT_EVENT = EVENT_KEYS.insert(
    "id, contact_id, name, timestamp, received_at, properties", ", ".join(["%s"] * 6)
)


def _event_insert(event: Event) -> tuple[object, ...]:
    row = codec.event_row(event)
    return (row[0], row[1], row[3], *row)  # the key: id, contact, timestamp


class PostgresContacts(PostgresErasure):
    # ---------------------------------------------------------------- contacts
    def get_contact(self, contact_id: str) -> Contact | None:
        if self._ahead is not None and contact_id in self._ahead.contacts:
            return self._ahead.contacts[contact_id]
        row = self._one(
            f"SELECT {codec.CONTACT_COLUMNS} FROM contacts WHERE id = %s", (contact_id,)
        )
        return pg.contact_from_row(row) if row else None

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]:
        ids = list(dict.fromkeys(contact_ids))
        if not ids:
            return {}
        rows = self._all(f"SELECT {codec.CONTACT_COLUMNS} FROM contacts WHERE id = ANY(%s)", (ids,))
        return {row[0]: pg.contact_from_row(row) for row in rows}

    def put_contact(self, contact: Contact) -> None:
        if self.is_erased(contact.id):
            raise ContactErased(f"contact {contact.id} was erased; it is not recreated")
        self._forget(contact.id)
        self._run(_UPSERT_CONTACT, codec.contact_row(contact))

    def put_contacts(self, contacts: Sequence[Contact]) -> None:
        erased = self.erased_among(contact.id for contact in contacts)
        if erased:
            raise ContactErased(f"contact {min(erased)} was erased; it is not recreated")
        for contact in contacts:
            self._forget(contact.id)
        self._many(_UPSERT_CONTACT, [codec.contact_row(contact) for contact in contacts])

    def delete_contact(self, contact_id: str) -> bool:
        """Erase: every row about the contact, a tombstone, dead rows vacuumed after commit."""
        with self.transaction():
            self._forget(contact_id)
            self._flush_steps()
            return self._erase_rows(contact_id)

    def iter_contacts(self, batch_size: int = 1000) -> Iterator[list[Contact]]:
        last = ""
        while True:
            rows = self._all(
                f"SELECT {codec.CONTACT_COLUMNS} FROM contacts WHERE id > %s ORDER BY id LIMIT %s",
                (last, batch_size),
            )
            if not rows:
                return
            last = rows[-1][0]
            yield [pg.contact_from_row(row) for row in rows]

    def count_contacts(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM contacts")[0])

    # ------------------------------------------------------------------ events
    def add_event(self, event: Event) -> bool:
        """False for an id already stored, and for an erased contact's event (never stored)."""
        if self.is_erased(event.contact_id):
            return False
        with self.transaction():
            return self._run(_INSERT_EVENT, _event_insert(event)) == 1

    def add_events(self, events: Sequence[Event]) -> None:
        erased = self.erased_among(e.contact_id for e in events)
        kept = [event for event in events if event.contact_id not in erased]
        if not kept:
            return
        kept.sort(key=lambda event: event.id)  # keys in order: two batches never deadlock
        with self.transaction():
            self._many(_INSERT_EVENT, [_event_insert(event) for event in kept])

    def count_events(
        self, contact_id: str, name: str, since: datetime | None, until: datetime
    ) -> int:
        if since is None:
            row = self._one(
                "SELECT COUNT(*) FROM events WHERE contact_id = %s AND name = %s"
                " AND timestamp <= %s",
                (contact_id, name, until),
            )
        else:
            row = self._one(
                "SELECT COUNT(*) FROM events WHERE contact_id = %s AND name = %s"
                " AND timestamp >= %s AND timestamp <= %s",
                (contact_id, name, since, until),
            )
        return int(row[0])

    def count_events_of(
        self, contact_ids: Sequence[str], name: str, since: datetime | None, until: datetime
    ) -> dict[str, int]:
        wanted = list(dict.fromkeys(contact_ids))
        if not wanted:
            return {}
        where = "contact_id = ANY(%s) AND name = %s AND timestamp <= %s"
        params: list[object] = [wanted, name, until]
        if since is not None:
            where += " AND timestamp >= %s"
            params.append(since)
        rows = self._all(
            f"SELECT contact_id, COUNT(*) FROM events WHERE {where} GROUP BY contact_id", params
        )
        return {contact_id: int(count) for contact_id, count in rows}

    def last_events_at_of(
        self, contact_ids: Sequence[str], name: str, until: datetime
    ) -> dict[str, datetime]:
        wanted = list(dict.fromkeys(contact_ids))
        if not wanted:
            return {}
        rows = self._all(
            "SELECT contact_id, MAX(timestamp) FROM events WHERE contact_id = ANY(%s)"
            " AND name = %s AND timestamp <= %s GROUP BY contact_id",
            (wanted, name, until),
        )
        return {contact_id: pg.instant(at) for contact_id, at in rows if at is not None}

    def last_event_at(self, contact_id: str, name: str, until: datetime) -> datetime | None:
        row = self._one(
            "SELECT MAX(timestamp) FROM events WHERE contact_id = %s AND name = %s"
            " AND timestamp <= %s",
            (contact_id, name, until),
        )
        return pg.utc(row[0]) if row else None

    def last_event(self, contact_id: str, name: str, until: datetime) -> Event | None:
        # events_contact_name_ts of each monthly partition, read backwards from `until`
        row = self._one(
            "SELECT id, contact_id, name, timestamp, received_at, properties FROM events"
            " WHERE contact_id = %s AND name = %s AND timestamp <= %s"
            " ORDER BY timestamp DESC, received_at DESC, id DESC LIMIT 1",
            (contact_id, name, until),
        )
        return pg.event_from_row(row) if row else None

    def first_event_at(self, contact_id: str, name: str, since: datetime) -> datetime | None:
        row = self._one(
            "SELECT MIN(timestamp) FROM events WHERE contact_id = %s AND name = %s"
            " AND timestamp >= %s",
            (contact_id, name, since),
        )
        return pg.utc(row[0]) if row else None

    def delete_events_before(self, cutoff: datetime) -> int:
        with self.transaction():
            self._run("DELETE FROM event_keys WHERE timestamp < %s", (cutoff,))
            return self._run("DELETE FROM events WHERE timestamp < %s", (cutoff,))

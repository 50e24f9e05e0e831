"""SQLite store, contacts and their events: upsert, erase everything about one, count."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from journey.model import Contact, Event
from journey.shards import shard_of
from journey.store import codec
from journey.store.sqlite_connection import chunks
from journey.store.sqlite_erasure import ContactErased, SQLiteErasure

_PUT_CONTACT = (
    f"INSERT OR REPLACE INTO contacts ({codec.CONTACT_COLUMNS}, shard) VALUES (?,?,?,?,?,?,?,?,?,?)"
)


class SQLiteContacts(SQLiteErasure):
    # ---------------------------------------------------------------- contacts
    def get_contact(self, contact_id: str) -> Contact | None:
        if self._ahead is not None and contact_id in self._ahead.contacts:
            return self._ahead.contacts[contact_id]
        row = self._one(f"SELECT {codec.CONTACT_COLUMNS} FROM contacts WHERE id = ?", (contact_id,))
        return codec.contact_from_row(row) if row else None

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]:
        found: dict[str, Contact] = {}
        for chunk in chunks(list(dict.fromkeys(contact_ids))):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {codec.CONTACT_COLUMNS} FROM contacts WHERE id IN ({marks})"
            for row in self._all(sql, chunk):
                found[row[0]] = codec.contact_from_row(row)
        return found

    def put_contact(self, contact: Contact) -> None:
        # a scratch store known to hold no tombstone skips the call (one per contact loaded)
        if not self._nobody_erased and self.is_erased(contact.id):
            raise ContactErased(f"contact {contact.id} was erased; it is not recreated")
        self._forget(contact.id)
        self._conn.execute(_PUT_CONTACT, (*codec.contact_row(contact), shard_of(contact.id)))

    def put_contacts(self, contacts: Sequence[Contact]) -> None:
        # one statement for the lot: a simulation loads its contacts a thousand at a time
        if not self._nobody_erased:
            erased = self.erased_among(contact.id for contact in contacts)
            if erased:
                raise ContactErased(f"contact {min(erased)} was erased; it is not recreated")
        for contact in contacts:
            self._forget(contact.id)
        self._conn.executemany(
            _PUT_CONTACT, [(*codec.contact_row(c), shard_of(c.id)) for c in contacts]
        )

    def delete_contact(self, contact_id: str) -> bool:
        """Erase: every row about the contact, a tombstone, free space scrubbed after commit."""
        codec.forget_contact(contact_id)
        with self.transaction():
            self._forget(contact_id)
            self._flush_steps()
            return self._erase_rows(contact_id)

    def iter_contacts(self, batch_size: int = 1000) -> Iterator[list[Contact]]:
        last = ""
        while True:
            rows = self._all(
                f"SELECT {codec.CONTACT_COLUMNS} FROM contacts WHERE id > ? ORDER BY id LIMIT ?",
                (last, batch_size),
            )
            if not rows:
                return
            last = rows[-1][0]
            yield codec.contacts_from_rows(rows)

    def count_contacts(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM contacts")[0])

    # ------------------------------------------------------------------ events
    def add_event(self, event: Event) -> bool:
        """False for an id already stored, and for an erased contact's event (never stored)."""
        if self.is_erased(event.contact_id):
            return False
        cursor = self._conn.execute(
            "INSERT OR IGNORE INTO events (id, contact_id, name, timestamp, received_at,"
            " properties) VALUES (?,?,?,?,?,?)",
            codec.event_row(event),
        )
        self._history_changes += cursor.rowcount  # no `_until_written` answer reads events
        return cursor.rowcount == 1

    def add_events(self, events: Sequence[Event]) -> None:
        erased = self.erased_among(e.contact_id for e in events)
        cursor = self._conn.executemany(
            "INSERT OR IGNORE INTO events (id, contact_id, name, timestamp, received_at,"
            " properties) VALUES (?,?,?,?,?,?)",
            [codec.event_row(event) for event in events if event.contact_id not in erased],
        )
        self._history_changes += cursor.rowcount

    def count_events(
        self, contact_id: str, name: str, since: datetime | None, until: datetime
    ) -> int:
        row = self._one(
            "SELECT COUNT(*) FROM events WHERE contact_id = ? AND name = ?"
            " AND timestamp >= ? AND timestamp <= ?",
            (contact_id, name, codec.ts(since) if since else "", codec.ts(until)),
        )
        return int(row[0])

    def count_events_of(
        self, contact_ids: Sequence[str], name: str, since: datetime | None, until: datetime
    ) -> dict[str, int]:
        found: dict[str, int] = {}
        bounds = (name, codec.ts(since) if since else "", codec.ts(until))
        for chunk in chunks(list(dict.fromkeys(contact_ids))):
            marks = ",".join("?" * len(chunk))
            rows = self._all(
                f"SELECT contact_id, COUNT(*) FROM events WHERE contact_id IN ({marks})"
                " AND name = ? AND timestamp >= ? AND timestamp <= ? GROUP BY contact_id",
                (*chunk, *bounds),
            )
            found.update((contact_id, int(count)) for contact_id, count in rows)
        return found

    def last_events_at_of(
        self, contact_ids: Sequence[str], name: str, until: datetime
    ) -> dict[str, datetime]:
        found: dict[str, datetime] = {}
        for chunk in chunks(list(dict.fromkeys(contact_ids))):
            marks = ",".join("?" * len(chunk))
            rows = self._all(
                f"SELECT contact_id, MAX(timestamp) FROM events WHERE contact_id IN ({marks})"
                " AND name = ? AND timestamp <= ? GROUP BY contact_id",
                (*chunk, name, codec.ts(until)),
            )
            for contact_id, at in rows:
                parsed = codec.from_ts(at)
                if parsed is not None:
                    found[contact_id] = parsed
        return found

    def last_event_at(self, contact_id: str, name: str, until: datetime) -> datetime | None:
        row = self._one(
            "SELECT MAX(timestamp) FROM events WHERE contact_id = ? AND name = ?"
            " AND timestamp <= ?",
            (contact_id, name, codec.ts(until)),
        )
        return codec.from_ts(row[0]) if row else None

    def last_event(self, contact_id: str, name: str, until: datetime) -> Event | None:
        row = self._one(
            "SELECT id, contact_id, name, timestamp, received_at, properties FROM events"
            " WHERE contact_id = ? AND name = ? AND timestamp <= ?"
            " ORDER BY timestamp DESC, received_at DESC, id DESC LIMIT 1",
            (contact_id, name, codec.ts(until)),
        )
        return codec.event_from_row(row) if row else None

    def first_event_at(self, contact_id: str, name: str, since: datetime) -> datetime | None:
        row = self._one(
            "SELECT MIN(timestamp) FROM events WHERE contact_id = ? AND name = ?"
            " AND timestamp >= ?",
            (contact_id, name, codec.ts(since)),
        )
        return codec.from_ts(row[0]) if row and row[0] else None

    def delete_events_before(self, cutoff: datetime) -> int:
        cursor = self._conn.execute("DELETE FROM events WHERE timestamp < ?", (codec.ts(cutoff),))
        return cursor.rowcount

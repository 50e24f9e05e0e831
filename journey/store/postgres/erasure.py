"""PostgreSQL store, erasure: every row about a person goes, a tombstone stays, VACUUM follows.

The tombstone is the SQLite store's: an HMAC-SHA256 of the contact id keyed
with the store's own random key (table `store_keys`), so a late event, an
import or an old unsubscribe link for that id is recognised and refused.
After the commit the tables that held the person are vacuumed, so their dead
rows are pruned; the bytes themselves leave the server's files when
PostgreSQL reuses the space and recycles its WAL (docs/operating.md).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC, datetime

import psycopg

from journey.errors import StoreError
from journey.records import StoreUnavailable
from journey.store import codec
from journey.store.postgres.connection import PostgresConnection
from journey.store.postgres.migrations import ERASURE_KEY

_PURPOSE = b"journey-erased-contact-v1\x00"
# rows keyed by contact id; the inbox is handled apart (its bodies are JSON)
CONTACT_TABLES = (
    "events",
    "event_keys",
    "enrollments",
    "step_history",
    "deliveries",
    "delivery_keys",
    "trigger_state",
)


class ContactErased(StoreError):
    """A write for a contact that was erased: refused, so nothing recreates them."""


class PostgresErasure(PostgresConnection):
    _erasure_key: bytes | None = None
    _erased_now = False  # the open transaction erased someone: vacuum after its commit

    def tombstone(self, contact_id: str) -> str:
        if self._erasure_key is None:
            row = self._one("SELECT key FROM store_keys WHERE purpose = %s", (ERASURE_KEY,))
            self._erasure_key = bytes.fromhex(row[0])
        mac = hmac.new(self._erasure_key, _PURPOSE + contact_id.encode(), hashlib.sha256)
        return mac.hexdigest()

    def is_erased(self, contact_id: str) -> bool:
        return bool(self.erased_among([contact_id]))

    def erased_among(self, contact_ids: Iterable[str]) -> set[str]:
        by_stone = {self.tombstone(cid): cid for cid in dict.fromkeys(contact_ids)}
        if not by_stone:
            return set()
        rows = self._all(
            "SELECT tombstone FROM erased WHERE tombstone = ANY(%s)", (list(by_stone),)
        )
        return {by_stone[row[0]] for row in rows}

    def _erase_rows(self, contact_id: str, now: datetime | None = None) -> bool:
        """Inside a transaction: delete everything about the contact, leave the tombstone."""
        found = self._run("DELETE FROM contacts WHERE id = %s", (contact_id,)) > 0
        # a fire's progress past this contact: moved back to the contact before it (done too)
        self._run(
            "UPDATE shard_fires AS f SET after_contact = COALESCE((SELECT MAX(c.id)"
            " FROM contacts c WHERE c.shard = f.shard AND c.id < %s), '')"
            " WHERE f.after_contact = %s",
            (contact_id, contact_id),
        )
        for table in CONTACT_TABLES:
            self._run(f"DELETE FROM {table} WHERE contact_id = %s", (contact_id,))
        self._run(
            "DELETE FROM inbox WHERE (body->>'contact_id') COLLATE \"C\" = %s"
            " OR (kind <> 'event' AND (body->>'id') COLLATE \"C\" = %s)",
            (contact_id, contact_id),
        )
        stamp = codec.ts((now or datetime.now(UTC)).replace(microsecond=0))
        self._run(
            "INSERT INTO erased (tombstone, erased_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (self.tombstone(contact_id), stamp),
        )
        self._erased_now = True
        return found

    def _after_commit(self) -> None:
        if self._erased_now:
            self._erased_now = False
            self.scrub()

    def _after_rollback(self) -> None:
        self._erased_now = False

    def scrub(self) -> bool:
        """VACUUM the tables that held erased people; True when done."""
        try:
            with self._connection() as conn:
                for table in ("contacts", *CONTACT_TABLES, "inbox"):
                    conn.execute(f"VACUUM {table}")
                conn.execute("UPDATE erased SET scrubbed = true WHERE NOT scrubbed")
        except (psycopg.Error, StoreUnavailable):
            return False  # the daemon's next start (or erasure) tries again: see `unscrubbed`
        return True

    def unscrubbed(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM erased WHERE NOT scrubbed")[0])

    def outbox_tombstones(self) -> set[str]:
        """Tombstones of people whose records may still be in an outbox file."""
        return {row[0] for row in self._all("SELECT tombstone FROM erased WHERE NOT outboxes")}

    def outboxes_cleaned(self, tombstones: Iterable[str]) -> None:
        self._run(
            "UPDATE erased SET outboxes = true WHERE tombstone = ANY(%s)", (list(tombstones),)
        )

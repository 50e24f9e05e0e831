"""SQLite store, erasure: every row about a person goes, a tombstone stays, free space is scrubbed.

The tombstone is an HMAC-SHA256 of the contact id keyed with the store's own
random key (table `store_keys`): nothing personal, yet a late event, an import
or an old unsubscribe link for that id is recognised and refused. Rows are
deleted with ``secure_delete`` on (the connection sets it), so SQLite zeroes
what they held; after the commit the WAL is checkpointed and truncated, the
file is searched for the person's values, and VACUUM rewrites it when any are
still there (left by a version without secure delete). Outbox files are the
daemon's or the importer's to clean (journey.erasure); a tombstone remembers
until then that they still hold the person.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from journey.errors import StoreError
from journey.store import codec
from journey.store.identity import read_view
from journey.store.migrations import ERASURE_KEY
from journey.store.sqlite_connection import SQLiteConnection, chunks

_PURPOSE = b"journey-erased-contact-v1\x00"
# rows keyed by contact id; the inbox is handled apart (its bodies are JSON)
CONTACT_TABLES = ("events", "enrollments", "step_history", "deliveries", "trigger_state")
_CHECKPOINT_TRIES = 3
_READ_BYTES = 1 << 20  # the residue check reads the file a MiB at a time


class ContactErased(StoreError):
    """A write for a contact that was erased: refused, so nothing recreates them."""


class SQLiteErasure(SQLiteConnection):
    _erasure_key: bytes | None = None
    _residue: list[bytes] | None = None  # values of the people erased by the open transaction

    def tombstone(self, contact_id: str) -> str:
        if self._erasure_key is None:
            row = self._one("SELECT key FROM store_keys WHERE purpose = ?", (ERASURE_KEY,))
            self._erasure_key = bytes.fromhex(row[0])
        mac = hmac.new(self._erasure_key, _PURPOSE + contact_id.encode(), hashlib.sha256)
        return mac.hexdigest()

    def is_erased(self, contact_id: str) -> bool:
        return bool(self.erased_among([contact_id]))

    # Whether the store has no tombstone, for a store this connection alone writes (a
    # simulation's scratch file): then every put_contact and add_event skips the lookup.
    _nobody_erased: bool | None = None

    def erased_among(self, contact_ids: Iterable[str]) -> set[str]:
        """The ids in `contact_ids` that were erased."""
        if self._only_writer:
            if self._nobody_erased is None:
                self._nobody_erased = not self._one("SELECT EXISTS (SELECT 1 FROM erased)")[0]
            if self._nobody_erased:
                return set()
        by_stone = {self.tombstone(cid): cid for cid in dict.fromkeys(contact_ids)}
        found: set[str] = set()
        for chunk in chunks(list(by_stone)):
            marks = ",".join("?" * len(chunk))
            rows = self._all(f"SELECT tombstone FROM erased WHERE tombstone IN ({marks})", chunk)
            found.update(by_stone[row[0]] for row in rows)
        return found

    def _erase_rows(self, contact_id: str, now: datetime | None = None) -> bool:
        """Inside a transaction: delete everything about the contact, leave the tombstone."""
        self._nobody_erased = False  # asked again from now on (also after a rollback)
        row = self._one(f"SELECT {codec.CONTACT_COLUMNS} FROM contacts WHERE id = ?", (contact_id,))
        if self._residue is None:
            self._residue = []
        if row is not None:
            self._residue += _needles(row)
        self._conn.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
        # a fire's progress past this contact: moved back to the contact before it (done too)
        self._conn.execute(
            "UPDATE shard_fires SET after_contact = COALESCE((SELECT MAX(id) FROM contacts"
            " WHERE contacts.shard = shard_fires.shard AND id < ?), '')"
            " WHERE after_contact = ?",
            (contact_id, contact_id),
        )
        for table in CONTACT_TABLES:
            self._conn.execute(f"DELETE FROM {table} WHERE contact_id = ?", (contact_id,))
        self._conn.execute(
            "DELETE FROM inbox WHERE json_extract(body, '$.contact_id') = ?"
            " OR (kind != 'event' AND json_extract(body, '$.id') = ?)",
            (contact_id, contact_id),
        )
        stamp = codec.ts((now or datetime.now(UTC)).replace(microsecond=0))
        self._conn.execute(
            "INSERT OR IGNORE INTO erased (tombstone, erased_at) VALUES (?, ?)",
            (self.tombstone(contact_id), stamp),
        )
        return row is not None

    def _after_commit(self) -> None:
        residue, self._residue = self._residue, None
        if residue is not None:
            self.scrub(residue)

    def _after_rollback(self) -> None:
        self._residue = None

    def scrub(self, residue: Sequence[bytes] = ()) -> bool:
        """Fold the WAL into the file and truncate it; VACUUM if `residue` is still in the file.

        True when done; False when readers kept the WAL busy (the next erase or
        `journey run` start tries again: see `unscrubbed`).
        """
        if not self._checkpoint():
            return False
        if residue and self._file_holds(residue):
            self._conn.execute("VACUUM")
            if not self._checkpoint():
                return False
        self._conn.execute("UPDATE erased SET scrubbed = 1 WHERE scrubbed = 0")
        return self._checkpoint()

    def unscrubbed(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM erased WHERE scrubbed = 0")[0])

    def outbox_tombstones(self) -> set[str]:
        """Tombstones of people whose records may still be in an outbox file."""
        return {row[0] for row in self._all("SELECT tombstone FROM erased WHERE outboxes = 0")}

    def outboxes_cleaned(self, tombstones: Iterable[str]) -> None:
        with self.transaction():
            self._conn.executemany(
                "UPDATE erased SET outboxes = 1 WHERE tombstone = ?", [(t,) for t in tombstones]
            )

    def _checkpoint(self) -> bool:
        if self.path == ":memory:":
            return True
        for _ in range(_CHECKPOINT_TRIES):
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            time.sleep(0.1)
        return False

    def _file_holds(self, residue: Sequence[bytes]) -> bool:
        """Read through the process's shared view: closing a descriptor of our own would
        drop every SQLite lock this process holds on the file (journey.store.identity)."""
        if self.path == ":memory:" or self.identity is None:
            return False
        view = read_view(self._where, self.identity)  # pread: mmap would dup (and close) it
        overlap = max((len(needle) for needle in residue), default=1) - 1
        offset, tail = 0, b""
        while chunk := os.pread(view, _READ_BYTES, offset):
            data = tail + chunk
            if any(needle in data for needle in residue):
                return True
            offset += len(chunk)
            tail = data[-overlap:] if overlap else b""
        return False


def _needles(row: Sequence[object]) -> list[bytes]:
    """The person's own values (address, phone, attribute strings) as stored, to look for."""
    values: list[str] = [str(v) for v in row[1:3] if v]
    if len(str(row[0])) >= 6:  # a short id would match unrelated bytes
        values.append(str(row[0]))
    try:
        attributes = json.loads(str(row[7]))
    except ValueError:
        attributes = {}
    if isinstance(attributes, dict):
        values += [v for v in attributes.values() if isinstance(v, str) and len(v) >= 4]
    found: list[bytes] = []
    for value in values:
        # as given, inside the store's JSON text, and with \u escapes (older versions')
        for spelled in (value, codec.dumps(value)[1:-1], json.dumps(value)[1:-1]):
            needle = spelled.encode()
            if needle not in found:
                found.append(needle)
    return found

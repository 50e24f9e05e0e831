"""SQLite store, keys: the unsubscribe signing keys (with rotation) and the store's random id.

Both are made by migration 5 when the store is made, so links and Message-IDs
never depend on the environment: a store signs with its own key from its first
email on. Rotating adds a key and retires the previous one, which keeps
verifying for the overlap the caller gives (journey.unsubscribe.ROTATION_OVERLAP).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from journey.store.migrations import DATABASE_ID_KEY
from journey.store.sqlite_connection import SQLiteConnection
from journey.unsubscribe import KeyRing


class SQLiteKeys(SQLiteConnection):
    def database_id(self) -> str:
        """16 hex digits, random, fixed when the store was made."""
        row = self._one("SELECT key FROM store_keys WHERE purpose = ?", (DATABASE_ID_KEY,))
        return str(row[0])

    def unsubscribe_keys(self, now: datetime, overlap: timedelta) -> KeyRing:
        """The newest key signs; it and every key retired less than `overlap` ago verify."""
        rows = self._all("SELECT key, retired_at FROM unsubscribe_keys ORDER BY id DESC")
        current = bytes.fromhex(rows[0][0])
        accepted = [current]
        for key, retired_at in rows[1:]:
            if retired_at is None or datetime.fromisoformat(retired_at) + overlap > now:
                accepted.append(bytes.fromhex(key))
        return KeyRing(current=current, accepted=tuple(accepted))

    def rotate_unsubscribe_key(self, now: datetime) -> int:
        """A new signing key; the previous one is retired at `now`. Returns how many keys exist."""
        with self.transaction():
            self._conn.execute(
                "UPDATE unsubscribe_keys SET retired_at = ? WHERE retired_at IS NULL",
                (now.isoformat(),),
            )
            self._conn.execute(
                "INSERT INTO unsubscribe_keys (key, created_at) VALUES (?, ?)",
                (secrets.token_hex(32), now.isoformat()),
            )
        return int(self._one("SELECT COUNT(*) FROM unsubscribe_keys")[0])

"""SQLite store, keys: the unsubscribe signing keys, newest first, and their rotation.

Migration 7 made the first key with the store (or adopted the secret an earlier
daemon kept in `store_keys`), so links never depend on the environment: a
store signs with its own key from its first email on. Which keys still verify
is journey.daemon.secret's answer; this only keeps them.
"""

from __future__ import annotations

from datetime import datetime

from journey.instants import from_ts, ts
from journey.records import UnsubscribeKey
from journey.store.sqlite_connection import SQLiteConnection


class SQLiteKeys(SQLiteConnection):
    def unsubscribe_keys(self) -> list[UnsubscribeKey]:
        rows = self._all(
            "SELECT key, created_at, retired_at FROM unsubscribe_keys ORDER BY id DESC"
        )
        return [
            UnsubscribeKey(
                key=bytes.fromhex(key),
                created_at=datetime.fromisoformat(created),
                retired_at=from_ts(retired),
            )
            for key, created, retired in rows
        ]

    def rotate_unsubscribe_key(self, key: bytes, now: datetime) -> None:
        with self.transaction():  # BEGIN IMMEDIATE: one rotation at a time
            self._conn.execute(
                "UPDATE unsubscribe_keys SET retired_at = ? WHERE retired_at IS NULL", (ts(now),)
            )
            self._conn.execute(
                "INSERT INTO unsubscribe_keys (key, created_at) VALUES (?, ?)",
                (key.hex(), ts(now)),
            )

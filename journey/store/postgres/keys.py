"""PostgreSQL store, keys: the unsubscribe signing keys, newest first, and their rotation.

The table `unsubscribe_keys` and its first key come from a migration, as
SQLite's migration 7 does: a store whose daemon had made a secret of its own
(in `store_keys` under 'unsubscribe') keeps signing with it, so the links it
mailed keep working. Which keys still verify is journey.daemon.secret's
answer; two rotations at once leave two unretired keys, and the ring counts
the older one as retired when the newer one was made.
"""

from __future__ import annotations

from datetime import datetime

from journey.records import UnsubscribeKey
from journey.store.postgres import rows as pg
from journey.store.postgres.connection import PostgresConnection


class PostgresKeys(PostgresConnection):
    def unsubscribe_keys(self) -> list[UnsubscribeKey]:
        rows = self._all(
            "SELECT key, created_at, retired_at FROM unsubscribe_keys ORDER BY id DESC"
        )
        return [
            UnsubscribeKey(
                key=bytes.fromhex(key), created_at=pg.instant(created), retired_at=pg.utc(retired)
            )
            for key, created, retired in rows
        ]

    def rotate_unsubscribe_key(self, key: bytes, now: datetime) -> None:
        with self.transaction():
            self._run(
                "UPDATE unsubscribe_keys SET retired_at = %s WHERE retired_at IS NULL", (now,)
            )
            self._run(
                "INSERT INTO unsubscribe_keys (key, created_at) VALUES (%s, %s)", (key.hex(), now)
            )

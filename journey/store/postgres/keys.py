"""PostgreSQL store, keys: the unsubscribe signing keys, newest first, and their rotation.

The table and its first key come from a migration (`UNSUBSCRIBE_KEYS_TABLE`,
then `seed_unsubscribe_key` in that migration's transaction), as SQLite's
migration 7 does: a store whose daemon had made a secret of its own (in
`store_keys` under 'unsubscribe') keeps signing with it, so the links it mailed
keep working. Which keys still verify is journey.daemon.secret's answer; two
rotations at once leave two unretired keys, and the ring counts the older one
as retired when the newer one was made.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import psycopg

from journey.records import UnsubscribeKey
from journey.store.postgres import rows as pg
from journey.store.postgres.connection import PostgresConnection

UNSUBSCRIBE_KEYS_TABLE = """CREATE TABLE unsubscribe_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, key text NOT NULL,
    created_at timestamptz NOT NULL, retired_at timestamptz)"""
OLD_UNSUBSCRIBE_KEY = "unsubscribe"  # the purpose in store_keys before unsubscribe_keys


def seed_unsubscribe_key(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    """The store's first key: the secret its daemon kept in store_keys, else a random one."""
    row = conn.execute(
        "SELECT key FROM store_keys WHERE purpose = %s", (OLD_UNSUBSCRIBE_KEY,)
    ).fetchone()
    key = str(row[0]).encode("utf-8").hex() if row and row[0] else secrets.token_hex(32)
    conn.execute(
        "INSERT INTO unsubscribe_keys (key, created_at) VALUES (%s, %s)",
        (key, datetime.now(UTC)),
    )
    conn.execute("DELETE FROM store_keys WHERE purpose = %s", (OLD_UNSUBSCRIBE_KEY,))


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

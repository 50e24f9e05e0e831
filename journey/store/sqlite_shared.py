"""SQLite store, state that every worker on the store shares: channel rate limits, secrets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from journey.records import RateTake
from journey.store import codec
from journey.store.sqlite_connection import SQLiteConnection


class SQLiteShared(SQLiteConnection):
    def take_rate_tokens(
        self, channel: str, *, capacity: float, per_second: float, now: datetime, wanted: int
    ) -> RateTake:
        with self.transaction():  # BEGIN IMMEDIATE: read, refill and spend as one
            row = self._one(
                "SELECT tokens, updated_at FROM rate_limits WHERE channel = ?", (channel,)
            )
            tokens, updated = (capacity, now) if row is None else (row[0], codec.from_ts(row[1]))
            assert updated is not None
            if now > updated:
                tokens += (now - updated).total_seconds() * per_second
                updated = now
            tokens = min(capacity, tokens)
            allowed = max(0, min(wanted, int(tokens)))
            tokens -= allowed
            self._conn.execute(
                "INSERT INTO rate_limits (channel, tokens, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (channel) DO UPDATE SET tokens = excluded.tokens,"
                " updated_at = excluded.updated_at",
                (channel, tokens, codec.ts(updated)),
            )
        return RateTake(allowed=allowed, tokens_left=tokens)

    def store_secret(self, purpose: str, make: Callable[[], str]) -> str:
        row = self._one("SELECT key FROM store_keys WHERE purpose = ?", (purpose,))
        if row is not None:
            return str(row[0])
        with self.transaction():
            self._conn.execute(
                "INSERT OR IGNORE INTO store_keys (purpose, key) VALUES (?, ?)", (purpose, make())
            )
            row = self._one("SELECT key FROM store_keys WHERE purpose = ?", (purpose,))
        return str(row[0])

"""PostgreSQL store, state every worker on the store shares: channel rate limits, secrets.

A channel's token bucket is one row: made full by the first taker (`ON CONFLICT
DO NOTHING`, so two first takers make one), then locked (`FOR UPDATE`), refilled
and spent in the same transaction, so two workers never spend one token. A
secret is inserted once; every caller reads the one that was kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from journey.records import RateTake
from journey.store.postgres import rows as pg
from journey.store.postgres.connection import PostgresConnection


class PostgresShared(PostgresConnection):
    def take_rate_tokens(
        self, channel: str, *, capacity: float, per_second: float, now: datetime, wanted: int
    ) -> RateTake:
        with self.transaction():
            self._run(
                "INSERT INTO rate_limits (channel, tokens, updated_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (channel) DO NOTHING",
                (channel, capacity, now),
            )
            row = self._one(
                "SELECT tokens, updated_at FROM rate_limits WHERE channel = %s FOR UPDATE",
                (channel,),
            )
            tokens, updated = float(row[0]), pg.instant(row[1])
            if now > updated:
                tokens += (now - updated).total_seconds() * per_second
                updated = now
            tokens = min(capacity, tokens)
            allowed = max(0, min(wanted, int(tokens)))
            tokens -= allowed
            self._run(
                "UPDATE rate_limits SET tokens = %s, updated_at = %s WHERE channel = %s",
                (tokens, updated, channel),
            )
        return RateTake(allowed=allowed, tokens_left=tokens)

    def store_secret(self, purpose: str, make: Callable[[], str]) -> str:
        row = self._one("SELECT key FROM store_keys WHERE purpose = %s", (purpose,))
        if row is not None:
            return str(row[0])
        self._run(
            "INSERT INTO store_keys (purpose, key) VALUES (%s, %s)"
            " ON CONFLICT (purpose) DO NOTHING",
            (purpose, make()),
        )
        row = self._one("SELECT key FROM store_keys WHERE purpose = %s", (purpose,))
        return str(row[0])

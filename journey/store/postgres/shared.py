"""PostgreSQL store, state every worker on the store shares: channel rate limits, secrets.

`worker_leases` is what `journey status` shows of the workers and their shards.
A channel's token bucket is one row: made full by the first taker (`ON CONFLICT
DO NOTHING`, so two first takers make one), then locked (`FOR UPDATE`), refilled
and spent in the same transaction, so two workers never spend one token. A
secret is inserted once; every caller reads the one that was kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

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

    def worker_leases(self) -> dict[str, Any]:
        """The workers (live or lately gone), their shards and lease ages, by the DB clock."""
        workers = []
        for name, host, pid, started, beat_age, live in self._all(
            "SELECT name, host, pid, started_at, EXTRACT(EPOCH FROM now() - heartbeat_at),"
            " expires_at > now() FROM workers ORDER BY started_at, name"
        ):
            workers.append(
                {
                    "worker": name,
                    "host": host,
                    "pid": pid,
                    "started_at": pg.instant(started).isoformat(),
                    "live": bool(live),
                    "heartbeat_age_seconds": round(float(beat_age), 1),
                    "shards": [],
                }
            )
        by_name = {w["worker"]: w for w in workers}
        unheld = 0
        for shard, holder, renewed_age, left in self._all(
            "SELECT shard, holder, EXTRACT(EPOCH FROM now() - heartbeat_at),"
            " EXTRACT(EPOCH FROM expires_at - now()) FROM shards ORDER BY shard"
        ):
            if holder is None or left is None or float(left) <= 0 or holder not in by_name:
                unheld += 1
                continue
            worker = by_name[holder]
            worker["shards"].append(shard)
            worker["lease_age_seconds"] = max(
                worker.get("lease_age_seconds", 0.0), round(float(renewed_age), 1)
            )
            worker["lease_left_seconds"] = min(
                worker.get("lease_left_seconds", float("inf")), round(float(left), 1)
            )
        total = int(self._one("SELECT COUNT(*) FROM shards")[0])
        return {"shards": total, "unheld_shards": unheld, "workers": workers}

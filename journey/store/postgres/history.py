"""PostgreSQL store, retention of the history tables: months made ahead, old months dropped.

The work is journey.store.postgres.partitions'; this is the contract's door to it.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from journey.errors import StoreError
from journey.records import HistoryExpired
from journey.store.postgres.connection import PostgresConnection
from journey.store.postgres.partitions import ensure_months, expire, months_ahead


class PostgresHistory(PostgresConnection):
    def expire_history(self, before: datetime) -> HistoryExpired:
        """Make the months from `before` to MONTHS_AHEAD months after now (the database's
        clock), then drop what is older than `before`; each step commits on its own."""
        if self._depth > 0:
            raise StoreError("expire_history runs outside a transaction")
        self._flush_steps()
        try:
            with self._connection() as conn:
                ensure_months(conn, before, months_ahead(conn))
                done = expire(conn, before)
        except psycopg.Error as exc:  # a lock not had in time, a connection gone
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"the state store {self.path}: expiring history: {reason}") from exc
        return HistoryExpired(
            events=done.rows["events"],
            step_records=done.rows["step_history"],
            deliveries=done.rows["deliveries"],
            partitions_dropped=done.partitions_dropped,
        )

    def ensure_history_months(self, first: datetime, last: datetime) -> int:
        """Month partitions from `first` to `last` (what upkeep makes ahead); how many made."""
        with self._connection() as conn:
            return ensure_months(conn, first, last)

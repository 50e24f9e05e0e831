"""SQLite store, retention of the history tables: old rows deleted in batches.

Each batch is one short write transaction (BATCH_ROWS rows by the time index),
so a daemon's tick or an ingest waits for one batch at most, never for the
whole expiry. Live deliveries are never history (journey.records).
"""

from __future__ import annotations

from datetime import datetime

from journey.records import FINISHED_DELIVERY_STATUSES, HistoryExpired
from journey.store import codec
from journey.store.sqlite_connection import SQLiteConnection

BATCH_ROWS = 5000
_FINISHED = ", ".join(f"'{status}'" for status in FINISHED_DELIVERY_STATUSES)
# table -> the condition that makes a row history older than the cutoff
_OLD = {
    "events": "timestamp < ?",
    "step_history": "at < ?",
    "deliveries": f"created_at < ? AND status IN ({_FINISHED})",
}


class SQLiteHistory(SQLiteConnection):
    def expire_history(self, before: datetime) -> HistoryExpired:
        cutoff = str(codec.ts(before))
        removed = {
            table: self._delete_in_batches(table, where, cutoff) for table, where in _OLD.items()
        }
        return HistoryExpired(
            events=removed["events"],
            step_records=removed["step_history"],
            deliveries=removed["deliveries"],
        )

    def _delete_in_batches(self, table: str, where: str, cutoff: str) -> int:
        total = 0
        while True:
            with self.transaction():
                done = self._conn.execute(
                    f"DELETE FROM {table} WHERE rowid IN"
                    f" (SELECT rowid FROM {table} WHERE {where} LIMIT ?)",
                    (cutoff, BATCH_ROWS),
                ).rowcount
            total += done
            if done < BATCH_ROWS:
                return total

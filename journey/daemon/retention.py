"""The daemon's hourly retention: history older than `event_retention` leaves the store.

One door, `StateStore.expire_history`: SQLite deletes old rows in batches,
PostgreSQL makes the coming months' partitions and drops the old ones. A store
that fails (a lock it waited too long for, a connection gone, the database
replaced) costs one `error` line, and the next run tries again; a replaced
store is the stop watch's business (Daemon.check_store), not this job's.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from journey.daemon.logs import StateLog
from journey.daemon.metrics import DaemonMetrics
from journey.errors import StoreError
from journey.records import HistoryExpired
from journey.store.abc import StateStore


def expire_history(
    store: StateStore, before: datetime, log: StateLog, metrics: DaemonMetrics
) -> HistoryExpired | None:
    """Expire what is older than `before`; log what went (or the one-line failure)."""
    try:
        expired = store.expire_history(before)
    except (StoreError, sqlite3.Error) as exc:  # StoreReplaced is a StoreError too
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.emit("error", error=f"retention: {reason}")
        return None
    metrics.expired(expired)
    if expired.total or expired.partitions_dropped:
        log.emit(
            "retention",
            before=before.isoformat(),
            events_removed=expired.events,
            step_records_removed=expired.step_records,
            deliveries_removed=expired.deliveries,
            partitions_dropped=expired.partitions_dropped,
        )
    return expired

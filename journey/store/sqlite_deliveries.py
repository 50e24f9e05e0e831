"""SQLite store, deliveries: written under their key before sending, claimed, marked, requeued.

States: `pending` and `uncertain` (one send's outcome unknown) are claimed when
due; `sent`, `dead`, `suppressed`, `parked` (retries ran out on a peer that
was away) and `unconfirmed` (two sends without an answer) are not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from journey.instants import from_ts
from journey.records import DeliveryRecord, Lease, LeaseLost
from journey.shards import shard_of
from journey.store import codec
from journey.store.abc import NOTHING_KNOWN
from journey.store.sqlite_connection import SQLiteConnection, chunks

# States the worker claims when due; the others wait for an operator or are final.
CLAIMABLE = "('pending', 'uncertain')"
# What `journey deliveries requeue` may put back: never `sent` or `suppressed`.
REQUEUEABLE = frozenset({"parked", "dead", "unconfirmed"})


_ADD = f"INSERT OR IGNORE INTO deliveries ({codec.DELIVERY_COLUMNS}) VALUES ({','.join('?' * 15)})"
_MARK_SENT = (
    "UPDATE deliveries SET status = 'sent', attempts = ?, sent_at = ?,"
    " last_error = NULL, claim_epoch = claim_epoch + (? AND claimed_by IS NOT NULL),"
    " claimed_by = NULL, claim_expires_at = NULL WHERE delivery_key = ?"
)
# The same, and for a leased record only while its lease holds (the check, in the write).
_MARK_SENT_FENCED = (
    _MARK_SENT + " AND (? OR (claim_epoch = ? AND (claimed_by IS NULL OR claimed_by = ?)))"
)


def _fenced_rows(
    sent: Sequence[tuple[DeliveryRecord | str, int]], stamp: str | None
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for d, attempts in sent:
        lease = None if isinstance(d, str) else d.lease
        key = d if isinstance(d, str) else d.delivery_key
        if lease is None:
            rows.append((attempts, stamp, True, key, True, None, None))
        else:
            rows.append((attempts, stamp, False, key, False, lease.epoch, lease.worker))
    return rows


class SQLiteDeliveries(SQLiteConnection):
    # -------------------------------------------------------------- deliveries
    def add_delivery(self, delivery: DeliveryRecord) -> bool:
        cursor = self._conn.execute(_ADD, codec.delivery_row(delivery))
        return cursor.rowcount == 1

    def get_delivery(self, key: str) -> DeliveryRecord | None:
        row = self._one(
            f"SELECT {codec.DELIVERY_COLUMNS} FROM deliveries WHERE delivery_key = ?", (key,)
        )
        return codec.delivery_from_row(row) if row else None

    _DELIVERY_FIELDS = frozenset({"status", "attempts", "next_attempt_at", "last_error", "sent_at"})

    def update_delivery(self, delivery: DeliveryRecord | str, **changes: Any) -> None:
        unknown = set(changes) - self._DELIVERY_FIELDS
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)} on a delivery")
        values = [codec.ts(v) if isinstance(v, datetime) else v for v in changes.values()]
        sets = ", ".join(f"{name} = ?" for name in changes)
        sql = (
            f"UPDATE deliveries SET {sets}, claimed_by = NULL, claim_expires_at = NULL"
            " WHERE delivery_key = ?"
        )
        if isinstance(delivery, str) or delivery.lease is None:
            key = delivery if isinstance(delivery, str) else delivery.delivery_key
            # over a live claim, the epoch moves on: its holder is fenced out
            self._conn.execute(
                f"UPDATE deliveries SET {sets}, claim_epoch = claim_epoch +"
                " (claimed_by IS NOT NULL), claimed_by = NULL, claim_expires_at = NULL"
                " WHERE delivery_key = ?",
                (*values, key),
            )
            return
        lease, key = delivery.lease, delivery.delivery_key
        cursor = self._conn.execute(
            sql + " AND claim_epoch = ? AND (claimed_by IS NULL OR claimed_by = ?)",
            (*values, key, lease.epoch, lease.worker),
        )
        if cursor.rowcount == 0 and self._one(
            "SELECT 1 FROM deliveries WHERE delivery_key = ?", (key,)
        ):
            raise LeaseLost(f"delivery {key}", lease)

    def mark_sent(self, sent: Sequence[tuple[DeliveryRecord | str, int]], at: datetime) -> None:
        stamp = codec.ts(at)
        with self.transaction():  # BEGIN IMMEDIATE: no claim can change between check and write
            # Each leased row is written only if its lease still holds: when every row was,
            # no lease was lost and nothing needs reading first. Otherwise undone, and
            # checked first as below.
            self._conn.execute("SAVEPOINT mark_sent")
            cursor = self._conn.executemany(_MARK_SENT_FENCED, _fenced_rows(sent, stamp))
            if cursor.rowcount == len(sent):
                self._conn.execute("RELEASE mark_sent")
                return
            self._conn.execute("ROLLBACK TO mark_sent")
            self._conn.execute("RELEASE mark_sent")
            self._check_delivery_leases([d for d, _ in sent if not isinstance(d, str)])
            # by key (no lease) over a live claim, the epoch moves on: its holder is fenced out
            self._conn.executemany(
                _MARK_SENT,
                [
                    (
                        attempts,
                        stamp,
                        isinstance(d, str) or d.lease is None,
                        d if isinstance(d, str) else d.delivery_key,
                    )
                    for d, attempts in sent
                ],
            )

    def _check_delivery_leases(self, records: Sequence[DeliveryRecord]) -> None:
        """LeaseLost for the first record whose row another worker claimed since its lease."""
        leased = {r.delivery_key: r.lease for r in records if r.lease is not None}
        for chunk in chunks(list(leased)):
            rows = self._all(
                "SELECT delivery_key, claimed_by, claim_epoch FROM deliveries"
                f" WHERE delivery_key IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for key, holder, epoch in rows:
                lease = leased[key]
                assert lease is not None
                if epoch != lease.epoch or holder not in (None, lease.worker):
                    raise LeaseLost(f"delivery {key}", lease)

    def claim_due_deliveries(
        self,
        now: datetime,
        limit: int,
        *,
        worker: str,
        lease_until: datetime,
        known: Mapping[str, DeliveryRecord] = NOTHING_KNOWN,
    ) -> list[DeliveryRecord]:
        now_text = codec.ts(now)
        returning = codec.DELIVERY_STATE_COLUMNS if known else codec.DELIVERY_COLUMNS
        with self.transaction():
            rows = self._all(
                "UPDATE deliveries SET claimed_by = ?, claim_expires_at = ?,"
                " claim_epoch = claim_epoch + 1 WHERE delivery_key IN ("
                f" SELECT delivery_key FROM deliveries WHERE status IN {CLAIMABLE}"
                " AND next_attempt_at <= ? AND (claimed_by IS NULL OR claim_expires_at < ?)"
                " ORDER BY next_attempt_at LIMIT ?)"
                f" RETURNING {returning}, {codec.CLAIM_COLUMNS}",
                (worker, codec.ts(lease_until), now_text, now_text, limit),
            )
            if known:
                found = self._known_or_read(rows, known)
            else:
                found = [codec.delivery_from_row(row, codec.lease_from_row(row)) for row in rows]
        found.sort(key=lambda d: (d.next_attempt_at or d.created_at, d.delivery_key))
        return found

    def _known_or_read(
        self, rows: Sequence[tuple[Any, ...]], known: Mapping[str, DeliveryRecord]
    ) -> list[DeliveryRecord]:
        """Claimed rows (DELIVERY_STATE_COLUMNS and a lease): a known record still in the
        row's state with its lease, every other row read whole (inside the claim's
        transaction, so as claimed)."""
        found: list[DeliveryRecord] = []
        unknown: dict[str, Lease] = {}
        for row in rows:
            lease = codec.lease_from_row(row)
            record = known.get(row[0])
            if record is not None and row[1:7] == codec.delivery_state(record):
                found.append(codec.with_lease(record, lease))
            else:
                unknown[row[0]] = lease
        for chunk in chunks(list(unknown)):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {codec.DELIVERY_COLUMNS} FROM deliveries WHERE delivery_key IN ({marks})"
            rows = self._all(sql, chunk)
            found += [codec.delivery_from_row(row, unknown[row[0]]) for row in rows]
        return found

    def release_claims(self, worker: str) -> int:
        with self.transaction():
            released = 0
            for table in ("enrollments", "deliveries", "trigger_state", "inbox"):
                cursor = self._conn.execute(
                    f"UPDATE {table} SET claimed_by = NULL, claim_expires_at = NULL"
                    " WHERE claimed_by = ?",
                    (worker,),
                )
                released += cursor.rowcount
        return released

    def deliveries_in_doubt(
        self, due_by: datetime, shards: Sequence[int] | None = None
    ) -> dict[str, datetime]:
        rows = self._all(
            "SELECT delivery_key, contact_id, next_attempt_at FROM deliveries"
            f" WHERE status IN {CLAIMABLE} AND claim_epoch > 0 AND next_attempt_at <= ?",
            (codec.ts(due_by),),
        )
        wanted = None if shards is None else set(shards)
        return {
            str(key): when
            for key, contact_id, due in rows
            if (when := from_ts(due)) is not None
            and (wanted is None or shard_of(str(contact_id)) in wanted)
        }

    def marketing_send_times(self, contact_id: str, since: datetime) -> list[datetime]:
        rows = self._all(
            "SELECT created_at FROM deliveries WHERE contact_id = ? AND category = 'marketing'"
            " AND kind != 'webhook' AND status NOT IN ('dead', 'suppressed', 'capped', 'failed')"
            " AND created_at > ?"
            " ORDER BY created_at",
            (contact_id, codec.ts(since)),
        )
        return [datetime.fromisoformat(row[0]) for row in rows]

    def marketing_send_times_of(
        self, contact_ids: Sequence[str], since: datetime
    ) -> dict[str, list[datetime]]:
        found: dict[str, list[datetime]] = {}
        for chunk in chunks(list(dict.fromkeys(contact_ids))):
            marks = ",".join("?" * len(chunk))
            rows = self._all(
                f"SELECT contact_id, created_at FROM deliveries WHERE contact_id IN ({marks})"
                " AND category = 'marketing' AND kind != 'webhook'"
                " AND status NOT IN ('dead', 'suppressed', 'capped', 'failed')"
                " AND created_at > ? ORDER BY created_at",
                (*chunk, codec.ts(since)),
            )
            for contact_id, created_at in rows:
                found.setdefault(contact_id, []).append(datetime.fromisoformat(created_at))
        return found

    def requeue_deliveries(self, statuses: Sequence[str], *, channel: str | None = None) -> int:
        """Parked, dead or unconfirmed deliveries due again at once, with a fresh retry schedule.

        Due "at once" is their creation time, so the daemon's clock decides, not the
        caller's. An `unconfirmed` one goes back as `uncertain`: sent once more, not twice.
        """
        wrong = set(statuses) - REQUEUEABLE
        if wrong:
            raise ValueError(f"cannot requeue {sorted(wrong)} deliveries")
        if not statuses:
            return 0
        marks = ",".join("?" * len(statuses))
        where = f"status IN ({marks})" + (" AND channel = ?" if channel is not None else "")
        params = [*statuses, *([channel] if channel is not None else [])]
        with self.transaction():
            cursor = self._conn.execute(
                "UPDATE deliveries SET status = CASE status WHEN 'unconfirmed' THEN 'uncertain'"
                " ELSE 'pending' END, attempts = 0, next_attempt_at = created_at,"
                f" claimed_by = NULL, claim_expires_at = NULL WHERE {where}",
                params,
            )
        return cursor.rowcount

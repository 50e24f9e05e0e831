"""PostgreSQL store, deliveries: written under their key before sending, claimed, marked, requeued.

States as in the SQLite store: `pending` and `uncertain` are claimed when due
(the partial index `deliveries_due` holds those only); `sent`, `dead`,
`suppressed`, `parked` and `unconfirmed` are not. A claim bumps `claim_epoch`;
a write of a claimed record checks it (`LeaseLost`, nothing written), and
`mark_sent` locks the batch's rows (`FOR UPDATE`, in key order) before it checks
them all, so it marks every one or none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from journey.records import DeliveryRecord, Lease, LeaseLost
from journey.store import codec
from journey.store.abc import NOTHING_KNOWN
from journey.store.postgres import rows as pg
from journey.store.postgres.connection import PostgresConnection
from journey.store.postgres.dedupe import DELIVERY_KEYS
from journey.store.sqlite_deliveries import REQUEUEABLE

# its key first (journey.store.postgres.dedupe): stored once across every partition
_INSERT_DELIVERY = DELIVERY_KEYS.insert(codec.DELIVERY_COLUMNS, ", ".join(["%s"] * 15))
_CREATED_AT = [c.strip() for c in codec.DELIVERY_COLUMNS.split(",")].index("created_at")
# every table whose rows are handed out by claims (release_claims hands them back)
CLAIMED_TABLES = ("enrollments", "deliveries", "trigger_state", "inbox")


def _state(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A claimed row's DELIVERY_STATE_COLUMNS after its key, instants in UTC."""
    status, attempts, created_at, next_attempt_at, last_error, sent_at = row[1:7]
    return (
        status,
        attempts,
        pg.utc(created_at),
        pg.utc(next_attempt_at),
        last_error,
        pg.utc(sent_at),
    )


def _known_state(d: DeliveryRecord) -> tuple[Any, ...]:
    return (d.status, d.attempts, d.created_at, d.next_attempt_at, d.last_error, d.sent_at)


def _leased(delivery: DeliveryRecord | str) -> bool:
    return not isinstance(delivery, str) and delivery.lease is not None


class PostgresDeliveries(PostgresConnection):
    # -------------------------------------------------------------- deliveries
    def add_delivery(self, delivery: DeliveryRecord) -> bool:
        row = codec.delivery_row(delivery)
        key = (delivery.delivery_key, delivery.contact_id, row[_CREATED_AT])
        with self.transaction():
            return self._run(_INSERT_DELIVERY, (*key, *row)) == 1

    def get_delivery(self, key: str) -> DeliveryRecord | None:
        row = self._one(
            f"SELECT {codec.DELIVERY_COLUMNS} FROM deliveries WHERE delivery_key = %s", (key,)
        )
        return pg.delivery_from_row(row) if row else None

    _DELIVERY_FIELDS = frozenset({"status", "attempts", "next_attempt_at", "last_error", "sent_at"})

    def update_delivery(self, delivery: DeliveryRecord | str, **changes: Any) -> None:
        unknown = set(changes) - self._DELIVERY_FIELDS
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)} on a delivery")
        sets = ", ".join(f"{name} = %s" for name in changes)
        values = list(changes.values())
        if isinstance(delivery, str) or delivery.lease is None:
            key = delivery if isinstance(delivery, str) else delivery.delivery_key
            # over a live claim, the epoch moves on: its holder is fenced out
            self._run(
                f"UPDATE deliveries SET {sets}, claim_epoch = claim_epoch +"
                " (claimed_by IS NOT NULL)::int, claimed_by = NULL, claim_expires_at = NULL"
                " WHERE delivery_key = %s",
                (*values, key),
            )
            return
        lease, key = delivery.lease, delivery.delivery_key
        fence, fenced = self._own_shards(lease.worker)
        written = self._run(
            f"UPDATE deliveries SET {sets}, claimed_by = NULL, claim_expires_at = NULL"
            " WHERE delivery_key = %s AND claim_epoch = %s"
            f" AND (claimed_by IS NULL OR claimed_by = %s){fence}",
            (*values, key, lease.epoch, lease.worker, *fenced),
        )
        if written == 0 and self._one("SELECT 1 FROM deliveries WHERE delivery_key = %s", (key,)):
            raise LeaseLost(f"delivery {key}", lease)

    def mark_sent(self, sent: Sequence[tuple[DeliveryRecord | str, int]], at: datetime) -> None:
        if not sent:
            return
        with self.transaction():
            self._check_delivery_leases([d for d, _ in sent if not isinstance(d, str)])
            self._many(
                "UPDATE deliveries SET status = 'sent', attempts = %s, sent_at = %s,"
                " last_error = NULL, claim_epoch = claim_epoch"
                " + (%s AND claimed_by IS NOT NULL)::int,"
                " claimed_by = NULL, claim_expires_at = NULL WHERE delivery_key = %s",
                [
                    (attempts, at, not _leased(d), d if isinstance(d, str) else d.delivery_key)
                    for d, attempts in sent
                ],
            )

    def _check_delivery_leases(self, records: Sequence[DeliveryRecord]) -> None:
        """Lock the rows; LeaseLost for the first one another worker claimed since its lease."""
        leased = {r.delivery_key: r.lease for r in records if r.lease is not None}
        if not leased:
            return
        rows = self._all(
            "SELECT d.delivery_key, d.claimed_by, d.claim_epoch,"
            " CASE WHEN s.expires_at > now() THEN s.holder END"
            " FROM deliveries d JOIN shards s ON s.shard = d.shard"
            " WHERE d.delivery_key = ANY(%s) ORDER BY d.delivery_key FOR UPDATE OF d",
            (list(leased),),
        )
        for key, holder, epoch, shard_holder in rows:
            lease = leased[key]
            assert lease is not None
            if epoch != lease.epoch or holder not in (None, lease.worker):
                raise LeaseLost(f"delivery {key}", lease)
            if self.sharded and shard_holder != lease.worker:  # the shard moved on
                raise LeaseLost(f"delivery {key} (its shard)", lease)

    def claim_due_deliveries(
        self,
        now: datetime,
        limit: int,
        *,
        worker: str,
        lease_until: datetime,
        known: Mapping[str, DeliveryRecord] = NOTHING_KNOWN,
    ) -> list[DeliveryRecord]:
        fence, fenced = self._own_shards(worker)
        returning = codec.DELIVERY_STATE_COLUMNS if known else codec.DELIVERY_COLUMNS
        with self.transaction():
            rows = self._all(
                "WITH due AS (SELECT delivery_key FROM deliveries"
                " WHERE status IN ('pending', 'uncertain') AND next_attempt_at <= %s"
                f" AND (claimed_by IS NULL OR claim_expires_at < %s){fence}"
                " ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED)"
                " UPDATE deliveries AS d SET claimed_by = %s, claim_expires_at = %s,"
                " claim_epoch = d.claim_epoch + 1 FROM due"
                " WHERE d.delivery_key = due.delivery_key"
                f" RETURNING {pg.qualified('d', returning)},"
                f" {pg.qualified('d', codec.CLAIM_COLUMNS)}",
                (now, now, *fenced, limit, worker, lease_until),
            )
            if known:
                found = self._known_or_read(rows, known)
            else:
                found = [pg.delivery_from_row(row, pg.lease_from_row(row)) for row in rows]
        found.sort(key=lambda d: (d.next_attempt_at or d.created_at, d.delivery_key))
        return found

    def _known_or_read(
        self, rows: Sequence[tuple[Any, ...]], known: Mapping[str, DeliveryRecord]
    ) -> list[DeliveryRecord]:
        """As the SQLite store's: known records still in their row's state, the rest read."""
        found: list[DeliveryRecord] = []
        unknown: dict[str, Lease] = {}
        for row in rows:
            lease = pg.lease_from_row(row)
            record = known.get(row[0])
            if record is not None and _state(row) == _known_state(record):
                found.append(codec.with_lease(record, lease))
            else:
                unknown[row[0]] = lease
        if unknown:
            rows = self._all(
                f"SELECT {codec.DELIVERY_COLUMNS} FROM deliveries WHERE delivery_key = ANY(%s)",
                (list(unknown),),
            )
            found += [pg.delivery_from_row(row, unknown[row[0]]) for row in rows]
        return found

    def release_claims(self, worker: str) -> int:
        """Hand back `worker`'s leases on every kind of claimed row (others' stay)."""
        with self.transaction():
            released = 0
            for table in CLAIMED_TABLES:
                released += self._run(
                    f"UPDATE {table} SET claimed_by = NULL, claim_expires_at = NULL"
                    " WHERE claimed_by = %s",
                    (worker,),
                )
        return released

    def deliveries_in_doubt(
        self, due_by: datetime, shards: Sequence[int] | None = None
    ) -> dict[str, datetime]:
        among, params = ("", ()) if shards is None else (" AND shard = ANY(%s)", (list(shards),))
        rows = self._all(
            "SELECT delivery_key, next_attempt_at FROM deliveries"
            " WHERE status IN ('pending', 'uncertain') AND claim_epoch > 0"
            f" AND next_attempt_at <= %s{among}",
            (due_by, *params),
        )
        return {str(key): pg.instant(due) for key, due in rows}

    def marketing_send_times(self, contact_id: str, since: datetime) -> list[datetime]:
        rows = self._all(
            "SELECT created_at FROM deliveries WHERE contact_id = %s AND category = 'marketing'"
            " AND kind <> 'webhook' AND status NOT IN ('dead', 'suppressed', 'capped', 'failed')"
            " AND created_at > %s ORDER BY created_at",
            (contact_id, since),
        )
        return [pg.instant(row[0]) for row in rows]

    def marketing_send_times_of(
        self, contact_ids: Sequence[str], since: datetime
    ) -> dict[str, list[datetime]]:
        wanted = list(dict.fromkeys(contact_ids))
        if not wanted:
            return {}
        rows = self._all(
            "SELECT contact_id, created_at FROM deliveries WHERE contact_id = ANY(%s)"
            " AND category = 'marketing' AND kind <> 'webhook'"
            " AND status NOT IN ('dead', 'suppressed', 'capped', 'failed')"
            " AND created_at > %s ORDER BY created_at",
            (wanted, since),
        )
        found: dict[str, list[datetime]] = {}
        for contact_id, created_at in rows:
            found.setdefault(str(contact_id), []).append(pg.instant(created_at))
        return found

    def requeue_deliveries(self, statuses: Sequence[str], *, channel: str | None = None) -> int:
        """Parked, dead or unconfirmed deliveries due again at once (see the SQLite store)."""
        wrong = set(statuses) - REQUEUEABLE
        if wrong:
            raise ValueError(f"cannot requeue {sorted(wrong)} deliveries")
        if not statuses:
            return 0
        where = "status = ANY(%s)" + (" AND channel = %s" if channel is not None else "")
        params: list[Any] = [list(statuses), *([channel] if channel is not None else [])]
        with self.transaction():
            return self._run(
                "UPDATE deliveries SET status = CASE status WHEN 'unconfirmed' THEN 'uncertain'"
                " ELSE 'pending' END, attempts = 0, next_attempt_at = created_at,"
                f" claimed_by = NULL, claim_expires_at = NULL WHERE {where}",
                params,
            )

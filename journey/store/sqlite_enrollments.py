"""SQLite store, enrollments: writes, per-contact reads (read-ahead aware), claims, history."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from journey.records import Enrollment, LeaseLost, StepRecord
from journey.store import codec
from journey.store.sqlite_connection import SQLiteConnection


def _sets(*, but: str = "") -> str:
    """`UPDATE enrollments SET` each column of `codec.enrollment_update_row` (but one) to
    its numbered parameter: one row of values serves every statement below."""
    pairs = (f"{name}=?{n}" for n, name in enumerate(codec.UPDATED_COLUMNS, 1) if name != but)
    return "UPDATE enrollments SET " + ", ".join(pairs)


class SQLiteEnrollments(SQLiteConnection):
    # ------------------------------------------------------------- enrollments
    # built once: the per-transition statements are module text, not formatted per call
    _INSERT = f"INSERT INTO enrollments ({codec.ENROLLMENT_COLUMNS}) VALUES ({','.join('?' * 15)})"

    def insert_enrollment(self, enrollment: Enrollment) -> bool:
        self._forget(enrollment.contact_id)
        try:
            self._conn.execute(self._INSERT, codec.enrollment_row(enrollment))
        except sqlite3.IntegrityError:
            return False
        return True

    # A write without a lease (an event's, not a claim's) over a live claim moves the
    # epoch on too: the claim's holder, working from the version before, is fenced out.
    _UNLEASED = (
        " claim_epoch = claim_epoch + (claimed_by IS NOT NULL),"
        " claimed_by=NULL, claim_expires_at=NULL WHERE id=?11"
    )
    # the fencing check: nobody claimed (or wrote) the row since this lease was taken
    _LEASED = (
        " claimed_by=NULL, claim_expires_at=NULL WHERE id=?11"
        " AND claim_epoch = ?12 AND (claimed_by IS NULL OR claimed_by = ?13)"
    )
    _SAVE = f"{_sets()},{_UNLEASED}"
    _SAVE_LEASED = f"{_sets()},{_LEASED}"
    # An active enrollment saved over a row still active: the same write without setting
    # `status` (?2 bound, not used), so that SQLite leaves enrollments_one_active (partial
    # on status) alone: ~15 % of the write. A row no longer active (an event exited it,
    # it is gone) is not written by it but by the statement above, as before.
    _SAVE_ACTIVE = f"{_sets(but='status')},{_UNLEASED} AND status = 'active'"
    _SAVE_ACTIVE_LEASED = f"{_sets(but='status')},{_LEASED} AND status = 'active'"

    def save_enrollment(self, enrollment: Enrollment) -> None:
        self._forget(enrollment.contact_id)
        lease = enrollment.lease
        values = codec.enrollment_update_row(enrollment)
        if lease is not None:
            values = (*values, lease.epoch, lease.worker)
        if enrollment.is_active:
            active = self._SAVE_ACTIVE if lease is None else self._SAVE_ACTIVE_LEASED
            if self._conn.execute(active, values).rowcount:
                return
        if lease is None:
            self._conn.execute(self._SAVE, values)
            return
        cursor = self._conn.execute(self._SAVE_LEASED, values)
        if cursor.rowcount == 0 and self._one(
            "SELECT 1 FROM enrollments WHERE id = ?", (enrollment.id,)
        ):
            raise LeaseLost(f"enrollment {enrollment.id}", lease)

    def set_enrollment_plan(self, enrollment: Enrollment) -> None:
        with self.transaction():
            self._conn.execute(
                "UPDATE enrollments SET plan_hash = ? WHERE id = ?",
                (enrollment.plan_hash, enrollment.id),
            )
            self.save_enrollment(enrollment)

    def _enrollments(self, where: str, params: Sequence[Any]) -> list[Enrollment]:
        sql = f"SELECT {codec.ENROLLMENT_COLUMNS} FROM enrollments WHERE {where}"
        return [codec.enrollment_from_row(row) for row in self._all(sql, params)]

    def get_enrollment(self, enrollment_id: str) -> Enrollment | None:
        found = self._enrollments("id = ?", (enrollment_id,))
        return found[0] if found else None

    def active_enrollments(self, contact_id: str) -> list[Enrollment]:
        if self._ahead is not None and self._ahead.knows(contact_id):
            return self._ahead.active(contact_id)
        # the order of the enrollments_contact index, spelled out for the read-ahead
        return self._enrollments(
            "contact_id = ? AND status = 'active' ORDER BY journey_id, rowid", (contact_id,)
        )

    def latest_enrollment(self, journey_id: str, contact_id: str) -> Enrollment | None:
        if self._ahead is not None and self._ahead.knows(contact_id):
            return self._ahead.latest(journey_id, contact_id)
        # `+journey_id`: without it SQLite walks enrollments_journey_entered for the ORDER
        # BY, reading every enrollment of the journey for a contact that has none
        found = self._enrollments(
            "contact_id = ? AND +journey_id = ? ORDER BY entered_at DESC, rowid DESC LIMIT 1",
            (contact_id, journey_id),
        )
        return found[0] if found else None

    def count_enrollments(self, journey_id: str, contact_id: str) -> int:
        if self._ahead is not None and self._ahead.knows(contact_id):
            return len(self._ahead.of_journey(journey_id, contact_id))
        row = self._one(
            "SELECT COUNT(*) FROM enrollments WHERE contact_id = ? AND journey_id = ?",
            (contact_id, journey_id),
        )
        return int(row[0])

    def unconverted_enrollments(self, journey_id: str, contact_id: str) -> list[Enrollment]:
        if self._ahead is not None and self._ahead.knows(contact_id):
            return self._ahead.unconverted(journey_id, contact_id)
        return self._enrollments(
            "contact_id = ? AND journey_id = ? AND converted_at IS NULL ORDER BY rowid",
            (contact_id, journey_id),
        )

    def active_enrollments_in(self, journey_id: str, limit: int) -> list[Enrollment]:
        return self._enrollments(
            "journey_id = ? AND status = 'active' LIMIT ?", (journey_id, limit)
        )

    def claim_due_enrollments(
        self,
        now: datetime,
        limit: int,
        *,
        worker: str,
        lease_until: datetime,
        skip_journeys: Iterable[str] = (),
    ) -> list[Enrollment]:
        skip = list(skip_journeys)
        skip_sql = f" AND journey_id NOT IN ({','.join('?' * len(skip))})" if skip else ""
        now_text = codec.ts(now)
        with self.transaction():
            rows = self._all(
                "UPDATE enrollments SET claimed_by = ?, claim_expires_at = ?,"
                " claim_epoch = claim_epoch + 1 WHERE id IN ("
                f" SELECT id FROM enrollments WHERE status = 'active' AND due_at <= ?{skip_sql}"
                " AND (claimed_by IS NULL OR claim_expires_at < ?) ORDER BY due_at LIMIT ?)"
                f" RETURNING {codec.ENROLLMENT_COLUMNS}, {codec.CLAIM_COLUMNS}",
                (worker, codec.ts(lease_until), now_text, *skip, now_text, limit),
            )
        found = [codec.enrollment_from_row(row, codec.lease_from_row(row)) for row in rows]
        found.sort(key=lambda e: (e.due_at or e.entered_at, e.id))
        return found

    def add_step_records(self, records: Sequence[StepRecord]) -> None:
        """Inside a transaction the rows wait for its commit (or a read of the history)."""
        self._pending_steps.extend(
            (
                r.enrollment_id,
                r.journey_id,
                r.contact_id,
                r.step_id,
                r.outcome,
                codec.ts(r.at),
                r.detail,
            )
            for r in records
        )
        if self._depth == 0:
            self._flush_steps()

    def step_records(self, enrollment_id: str) -> list[StepRecord]:
        self._flush_steps()
        rows = self._all(
            "SELECT enrollment_id, journey_id, contact_id, step_id, outcome, at, detail"
            " FROM step_history WHERE enrollment_id = ? ORDER BY id",
            (enrollment_id,),
        )
        return [
            StepRecord(
                enrollment_id=r[0],
                journey_id=r[1],
                contact_id=r[2],
                step_id=r[3],
                outcome=r[4],
                at=datetime.fromisoformat(r[5]),
                detail=r[6],
            )
            for r in rows
        ]

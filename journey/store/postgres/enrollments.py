"""PostgreSQL store, enrollments: writes, per-contact reads (read-ahead aware), claims, history.

A claim takes due rows with `FOR UPDATE SKIP LOCKED` over the partial index of
active enrollments by due time, so concurrent claimers never wait for each
other or take the same row. Each claim bumps the row's `claim_epoch`: the
fencing token a worker's later writes are checked against. A leased save is one
conditional UPDATE (`claim_epoch = %s AND (claimed_by IS NULL OR claimed_by = %s)`);
under READ COMMITTED PostgreSQL checks that condition again on the newest version
of a row another transaction was writing, so a take-over that commits first wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from journey.records import Enrollment, LeaseLost, StepRecord
from journey.store import codec
from journey.store.postgres import rows as pg
from journey.store.postgres.connection import PostgresConnection

_MARKS = ", ".join(["%s"] * 15)


class PostgresEnrollments(PostgresConnection):
    # ------------------------------------------------------------- enrollments
    def insert_enrollment(self, enrollment: Enrollment) -> bool:
        """False when the id exists or the contact is active in the journey (unique index)."""
        self._forget(enrollment.contact_id)
        inserted = self._run(
            f"INSERT INTO enrollments ({codec.ENROLLMENT_COLUMNS}) VALUES ({_MARKS})"
            " ON CONFLICT DO NOTHING",
            codec.enrollment_row(enrollment),
        )
        return inserted == 1

    # A write without a lease (an event's, not a claim's) over a live claim moves the
    # epoch on too: the claim's holder, working from the version before, is fenced out.
    _SET = (
        "UPDATE enrollments SET entry=%s, status=%s, step_id=%s, step_entered_at=%s, due_at=%s,"
        " split_arm=%s, exit_reason=%s, exited_at=%s, converted_at=%s, state=%s,"
    )
    _SAVE = (
        f"{_SET} claim_epoch = claim_epoch + (claimed_by IS NOT NULL)::int,"
        " claimed_by=NULL, claim_expires_at=NULL WHERE id=%s"
    )
    # the fencing check: nobody claimed (or wrote) the row since this lease was taken
    _SAVE_LEASED = (
        f"{_SET} claimed_by=NULL, claim_expires_at=NULL WHERE id=%s"
        " AND claim_epoch = %s AND (claimed_by IS NULL OR claimed_by = %s)"
    )

    def save_enrollment(self, enrollment: Enrollment) -> None:
        self._forget(enrollment.contact_id)
        lease = enrollment.lease
        if lease is None:
            self._run(self._SAVE, codec.enrollment_update_row(enrollment))
            return
        fence, fenced = self._own_shards(lease.worker)
        written = self._run(
            self._SAVE_LEASED + fence,
            (*codec.enrollment_update_row(enrollment), lease.epoch, lease.worker, *fenced),
        )
        if written == 0 and self._one("SELECT 1 FROM enrollments WHERE id = %s", (enrollment.id,)):
            raise LeaseLost(f"enrollment {enrollment.id}", lease)

    def set_enrollment_plan(self, enrollment: Enrollment) -> None:
        with self.transaction():
            self._run(
                "UPDATE enrollments SET plan_hash = %s WHERE id = %s",
                (enrollment.plan_hash, enrollment.id),
            )
            self.save_enrollment(enrollment)

    def _enrollments(self, where: str, params: Sequence[Any]) -> list[Enrollment]:
        sql = f"SELECT {codec.ENROLLMENT_COLUMNS} FROM enrollments WHERE {where}"
        return [pg.enrollment_from_row(row) for row in self._all(sql, params)]

    def get_enrollment(self, enrollment_id: str) -> Enrollment | None:
        found = self._enrollments("id = %s", (enrollment_id,))
        return found[0] if found else None

    def active_enrollments(self, contact_id: str) -> list[Enrollment]:
        if self._ahead is not None and self._ahead.knows(contact_id):
            return self._ahead.active(contact_id)
        return self._enrollments(
            "contact_id = %s AND status = 'active' ORDER BY journey_id, seq", (contact_id,)
        )

    def latest_enrollment(self, journey_id: str, contact_id: str) -> Enrollment | None:
        if self._ahead is not None and self._ahead.knows(contact_id):
            return self._ahead.latest(journey_id, contact_id)
        found = self._enrollments(
            "contact_id = %s AND journey_id = %s ORDER BY entered_at DESC, seq DESC LIMIT 1",
            (contact_id, journey_id),
        )
        return found[0] if found else None

    def count_enrollments(self, journey_id: str, contact_id: str) -> int:
        if self._ahead is not None and self._ahead.knows(contact_id):
            return len(self._ahead.of_journey(journey_id, contact_id))
        row = self._one(
            "SELECT COUNT(*) FROM enrollments WHERE contact_id = %s AND journey_id = %s",
            (contact_id, journey_id),
        )
        return int(row[0])

    def unconverted_enrollments(self, journey_id: str, contact_id: str) -> list[Enrollment]:
        if self._ahead is not None and self._ahead.knows(contact_id):
            return self._ahead.unconverted(journey_id, contact_id)
        return self._enrollments(
            "contact_id = %s AND journey_id = %s AND converted_at IS NULL ORDER BY seq",
            (contact_id, journey_id),
        )

    def active_enrollments_in(self, journey_id: str, limit: int) -> list[Enrollment]:
        return self._enrollments(
            "journey_id = %s AND status = 'active' ORDER BY seq LIMIT %s", (journey_id, limit)
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
        fence, fenced = self._own_shards(worker)
        with self.transaction():
            rows = self._all(
                "WITH due AS (SELECT id FROM enrollments WHERE status = 'active'"
                " AND due_at <= %s AND journey_id <> ALL(%s)"
                f" AND (claimed_by IS NULL OR claim_expires_at < %s){fence}"
                " ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED)"
                " UPDATE enrollments AS e SET claimed_by = %s, claim_expires_at = %s,"
                " claim_epoch = e.claim_epoch + 1 FROM due WHERE e.id = due.id"
                f" RETURNING {pg.qualified('e', codec.ENROLLMENT_COLUMNS)},"
                f" {pg.qualified('e', codec.CLAIM_COLUMNS)}",
                (now, list(skip_journeys), now, *fenced, limit, worker, lease_until),
            )
        found = [pg.enrollment_from_row(row, pg.lease_from_row(row)) for row in rows]
        found.sort(key=lambda e: (e.due_at or e.entered_at, e.id))
        return found

    def add_step_records(self, records: Sequence[StepRecord]) -> None:
        """Inside a transaction the rows wait for its commit (or a read of the history)."""
        self._pending_steps.extend(
            (r.enrollment_id, r.journey_id, r.contact_id, r.step_id, r.outcome, r.at, r.detail)
            for r in records
        )
        if self._depth == 0:
            self._flush_steps()

    def step_records(self, enrollment_id: str) -> list[StepRecord]:
        self._flush_steps()
        rows = self._all(
            "SELECT enrollment_id, journey_id, contact_id, step_id, outcome, at, detail"
            " FROM step_history WHERE enrollment_id = %s ORDER BY id",
            (enrollment_id,),
        )
        return [
            StepRecord(
                enrollment_id=r[0],
                journey_id=r[1],
                contact_id=r[2],
                step_id=r[3],
                outcome=r[4],
                at=pg.instant(r[5]),
                detail=r[6],
            )
            for r in rows
        ]

"""SQLite store, enrollments: writes, per-contact reads (read-ahead aware), claims, history."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from journey.records import Enrollment, Lease, LeaseLost, StepRecord
from journey.store import codec
from journey.store.sqlite_connection import SQLiteConnection


def _sets(*, but: str = "") -> str:
    """`UPDATE enrollments SET` each column of `codec.enrollment_update_row` (but one) to
    its numbered parameter: one row of values serves every statement below."""
    pairs = (f"{name}=?{n}" for n, name in enumerate(codec.UPDATED_COLUMNS, 1) if name != but)
    return "UPDATE enrollments SET " + ", ".join(pairs)


# The columns a save rarely changes (the entry, the status, the last split's arm, the exit
# and the conversion) in a row of ENROLLMENT_COLUMNS (then, claimed, its claim_epoch),
# and in a row of `codec.enrollment_update_row`, in one order: what the row is known
# to hold (`_held`) is compared with what a save writes.
_RARE = ("entry", "status", "split_arm", "exit_reason", "exited_at", "converted_at")
_rare_in_row = itemgetter(*(codec.ENROLLMENT_COLUMNS.split(", ").index(c) for c in _RARE))
_rare = itemgetter(*(codec.UPDATED_COLUMNS.index(c) for c in _RARE))
# the rest of the update row: step_id, step_entered_at, due_at, state, then the id
_step = itemgetter(
    *(n for n, c in enumerate(codec.UPDATED_COLUMNS) if c not in _RARE), len(codec.UPDATED_COLUMNS)
)
# what a row is known to hold: the claim's lease or the insert's mark, and its _RARE columns
_Held = tuple[Lease | None, int | None, tuple[Any, ...]]


class SQLiteEnrollments(SQLiteConnection):
    # ------------------------------------------------------------- enrollments
    # built once: the per-transition statements are module text, not formatted per call
    _INSERT = f"INSERT INTO enrollments ({codec.ENROLLMENT_COLUMNS}) VALUES ({','.join('?' * 15)})"

    def insert_enrollment(self, enrollment: Enrollment) -> bool:
        self._forget(enrollment.contact_id)
        row = codec.enrollment_row(enrollment)
        try:
            self._conn.execute(self._INSERT, row)
        except sqlite3.IntegrityError:
            return False
        self._hold_inserted(row)
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

    # A save over a row known to hold the same _RARE columns (`_held`) sets the others
    # only: the row it leaves is the one the whole write leaves, with 5 values bound of
    # 11 (binding is most of the statement's cost in Python) and the fencing as above.
    _STEP_SETS = ", ".join(f"{c}=?" for c in codec.UPDATED_COLUMNS if c not in _RARE)
    _SAVE_STEP = (
        f"UPDATE enrollments SET {_STEP_SETS}, claim_epoch = claim_epoch + (claimed_by IS NOT"
        " NULL), claimed_by=NULL, claim_expires_at=NULL WHERE id=?"
    )
    _SAVE_STEP_LEASED = (
        f"UPDATE enrollments SET {_STEP_SETS}, claimed_by=NULL, claim_expires_at=NULL"
        " WHERE id=? AND claim_epoch = ? AND (claimed_by IS NULL OR claimed_by = ?)"
    )

    def save_enrollment(self, enrollment: Enrollment) -> None:
        self._forget(enrollment.contact_id)
        lease = enrollment.lease
        values = codec.enrollment_update_row(enrollment)
        held = self._held.pop(enrollment.id, None) if self._held else None
        if held is not None and _rare(values) == held[2] and self._still_held(held, lease):
            if lease is None:
                self._conn.execute(self._SAVE_STEP, _step(values))
            elif not self._conn.execute(
                self._SAVE_STEP_LEASED, (*_step(values), lease.epoch, lease.worker)
            ).rowcount:
                self._lease_lost(enrollment.id, lease)
            return
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
        if cursor.rowcount == 0:
            self._lease_lost(enrollment.id, lease)

    def _lease_lost(self, enrollment_id: str, lease: Lease) -> None:
        """Raise LeaseLost when the row is there (fenced out), not when it is gone (erased)."""
        if self._one("SELECT 1 FROM enrollments WHERE id = ?", (enrollment_id,)):
            raise LeaseLost(f"enrollment {enrollment_id}", lease)

    # What this connection knows rows hold, by enrollment id: the _RARE columns as claimed
    # (with the claim's lease) or as inserted (with the connection's epoch then). Any save
    # of the id forgets it: the next save of the same enrollment writes every column.
    _held: dict[str, _Held] | None = None
    _HELD_KEPT = 4096  # inserts not saved yet (a claim replaces the lot)

    def _hold_claimed(self, rows: list[Any], leases: list[Lease]) -> None:
        self._held = {
            row[0]: (lease, None, _rare_in_row(row))
            for row, lease in zip(rows, leases, strict=True)
        }

    def _hold_inserted(self, row: tuple[Any, ...]) -> None:
        if not (self._depth > 0 or self._only_writer):
            return  # between two statements of their own, others may write the row
        held = self._held
        if held is None or len(held) >= self._HELD_KEPT:
            held = self._held = {}
        held[row[0]] = (None, self._epoch, _rare_in_row(row))

    def _still_held(self, held: _Held, lease: Lease | None) -> bool:
        """Whether the row still holds what was kept of it, for a save under `lease`.

        Claimed: a save under that very lease. Only a claim committed on its own is kept;
        anyone else's write since (a claim, a write without a lease) moved the epoch on,
        so the fenced write succeeds only on the row as claimed. Inserted: a save without
        a lease, and no other transaction and no rollback since (the connection's epoch
        counts both where others may write)."""
        kept_lease, mark, _ = held
        if kept_lease is not None:
            return kept_lease is lease
        return lease is None and mark == self._epoch and (self._depth > 0 or self._only_writer)

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
        now_text, until_text = codec.ts(now), codec.ts(lease_until)
        assert until_text is not None
        alone = self._depth == 0  # committed below, not undone with an outer transaction
        with self.transaction():
            # The holder and the expiry are the ones set here: only the epoch is read back.
            # Rows are taken by rowid, which the due index holds: by id, each was looked up
            # in the primary key's index first.
            rows = self._all(
                "UPDATE enrollments SET claimed_by = ?, claim_expires_at = ?,"
                " claim_epoch = claim_epoch + 1 WHERE rowid IN ("
                f" SELECT rowid FROM enrollments WHERE status = 'active' AND due_at <= ?{skip_sql}"
                " AND (claimed_by IS NULL OR claim_expires_at < ?) ORDER BY due_at LIMIT ?)"
                f" RETURNING {codec.ENROLLMENT_COLUMNS}, claim_epoch",
                (worker, until_text, now_text, *skip, now_text, limit),
            )
        expires_at = datetime.fromisoformat(until_text)  # as the row holds it
        leases = [Lease(worker=worker, epoch=int(row[15]), expires_at=expires_at) for row in rows]
        if alone:
            self._hold_claimed(rows, leases)
        found = [
            codec.enrollment_from_row(row, lease) for row, lease in zip(rows, leases, strict=True)
        ]
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

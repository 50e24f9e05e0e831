"""PostgreSQL store, time triggers: per-contact trigger state (claimed) and journey clocks.

Due trigger states are claimed like due enrollments (`FOR UPDATE SKIP LOCKED`
over the partial index of rows with a next fire time); a state written back
under its lease is one conditional UPDATE per row, all in one transaction, so
one lost lease writes none. A write without a lease over a live claim moves
the epoch on. A journey clock's fire is a compare-and-set on `next_fire_at`:
of the workers that read the same due time, one moves the clock and wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from journey.records import JourneyState, LeaseLost, TriggerState
from journey.store import codec
from journey.store.journey_state_rows import JOURNEY_STATE_COLUMNS
from journey.store.postgres import rows as pg
from journey.store.postgres.connection import PostgresConnection

TRIGGER_COLUMNS = "journey_id, contact_id, next_fire_at, last_fired_at, segment_match"

# An upsert: the row keeps its claim epoch (the fencing number), moved on over a claim.
_PUT_TRIGGER = (
    f"INSERT INTO trigger_state ({TRIGGER_COLUMNS}) VALUES (%s, %s, %s, %s, %s)"
    " ON CONFLICT (journey_id, contact_id) DO UPDATE SET"
    " next_fire_at = EXCLUDED.next_fire_at, last_fired_at = EXCLUDED.last_fired_at,"
    " segment_match = EXCLUDED.segment_match, claimed_by = NULL, claim_expires_at = NULL,"
    " claim_epoch = trigger_state.claim_epoch + (trigger_state.claimed_by IS NOT NULL)::int"
)
_PUT_LEASED_TRIGGER = (
    "UPDATE trigger_state SET next_fire_at = %s, last_fired_at = %s, segment_match = %s,"
    " claimed_by = NULL, claim_expires_at = NULL WHERE journey_id = %s AND contact_id = %s"
    " AND claim_epoch = %s AND (claimed_by IS NULL OR claimed_by = %s)"
)


def _row(state: TriggerState) -> tuple[object, ...]:
    return (
        state.journey_id,
        state.contact_id,
        state.next_fire_at,
        state.last_fired_at,
        state.segment_match,
    )


class PostgresTriggers(PostgresConnection):
    # ----------------------------------------------------------- trigger state
    def get_trigger_state(self, journey_id: str, contact_id: str) -> TriggerState | None:
        row = self._one(
            f"SELECT {TRIGGER_COLUMNS} FROM trigger_state"
            " WHERE journey_id = %s AND contact_id = %s",
            (journey_id, contact_id),
        )
        return pg.trigger_from_row(row) if row else None

    def get_trigger_states(
        self, journey_id: str, contact_ids: Sequence[str]
    ) -> dict[str, TriggerState]:
        ids = list(contact_ids)
        if not ids:
            return {}
        rows = self._all(
            f"SELECT {TRIGGER_COLUMNS} FROM trigger_state WHERE journey_id = %s"
            " AND contact_id = ANY(%s)",
            (journey_id, ids),
        )
        return {row[1]: pg.trigger_from_row(row) for row in rows}

    def put_trigger_states(self, states: Sequence[TriggerState]) -> None:
        leased = [state for state in states if state.lease is not None]
        if not leased:
            self._many(_PUT_TRIGGER, [_row(s) for s in states])
            return
        with self.transaction():  # all or nothing when one lease was lost
            for state in leased:
                lease = state.lease
                assert lease is not None
                fence, fenced = self._own_shards(lease.worker)
                written = self._run(
                    _PUT_LEASED_TRIGGER + fence,
                    (
                        *_row(state)[2:],
                        state.journey_id,
                        state.contact_id,
                        lease.epoch,
                        lease.worker,
                        *fenced,
                    ),
                )
                if written == 0 and self._one(
                    "SELECT 1 FROM trigger_state WHERE journey_id = %s AND contact_id = %s",
                    (state.journey_id, state.contact_id),
                ):
                    raise LeaseLost(f"trigger of {state.journey_id} for {state.contact_id}", lease)
            self._many(_PUT_TRIGGER, [_row(s) for s in states if s.lease is None])

    def claim_due_trigger_states(
        self,
        now: datetime,
        limit: int,
        journey_ids: Iterable[str],
        *,
        worker: str,
        lease_until: datetime,
    ) -> list[TriggerState]:
        ids = list(journey_ids)
        if not ids:
            return []
        fence, fenced = self._own_shards(worker)
        with self.transaction():
            rows = self._all(
                "WITH due AS (SELECT journey_id, contact_id FROM trigger_state"
                " WHERE next_fire_at <= %s AND journey_id = ANY(%s)"
                f" AND (claimed_by IS NULL OR claim_expires_at < %s){fence}"
                " ORDER BY next_fire_at LIMIT %s FOR UPDATE SKIP LOCKED)"
                " UPDATE trigger_state AS t SET claimed_by = %s, claim_expires_at = %s,"
                " claim_epoch = t.claim_epoch + 1 FROM due"
                " WHERE t.journey_id = due.journey_id AND t.contact_id = due.contact_id"
                f" RETURNING {pg.qualified('t', TRIGGER_COLUMNS)},"
                f" {pg.qualified('t', codec.CLAIM_COLUMNS)}",
                (now, ids, now, *fenced, limit, worker, lease_until),
            )
        found = [pg.trigger_from_row(row, pg.lease_from_row(row)) for row in rows]
        found.sort(key=lambda s: (s.next_fire_at or now, s.journey_id, s.contact_id))
        return found

    # ----------------------------------------------------------- journey state
    def get_journey_state(self, journey_id: str) -> JourneyState | None:
        row = self._one(
            f"SELECT {JOURNEY_STATE_COLUMNS} FROM journey_state WHERE journey_id = %s",
            (journey_id,),
        )
        return pg.journey_state_from_row(row) if row else None

    def put_journey_state(self, state: JourneyState) -> None:
        self._run(
            f"INSERT INTO journey_state ({JOURNEY_STATE_COLUMNS})"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (journey_id) DO UPDATE SET"
            " trigger = EXCLUDED.trigger, activated_at = EXCLUDED.activated_at,"
            " next_fire_at = EXCLUDED.next_fire_at, last_fired_at = EXCLUDED.last_fired_at,"
            " trigger_hash = EXCLUDED.trigger_hash",
            (
                state.journey_id,
                state.trigger,
                state.activated_at,
                state.next_fire_at,
                state.last_fired_at,
                state.trigger_hash,
            ),
        )

    def claim_journey_fire(
        self,
        journey_id: str,
        due: datetime,
        *,
        next_fire_at: datetime | None,
        last_fired_at: datetime | None,
    ) -> bool:
        moved = self._run(
            "UPDATE journey_state SET next_fire_at = %s, last_fired_at = %s"
            " WHERE journey_id = %s AND next_fire_at = %s",
            (next_fire_at, last_fired_at, journey_id, due),
        )
        return moved == 1

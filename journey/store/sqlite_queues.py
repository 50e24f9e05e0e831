"""SQLite store: the daemon's inbox and the trigger state, both claimed in batches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from journey.model import Event
from journey.records import InboxItem, JourneyState, LeaseLost, TriggerState
from journey.store import codec
from journey.store.journey_state_rows import (
    JOURNEY_STATE_COLUMNS,
    journey_state_from_row,
    journey_state_row,
)
from journey.store.migrations import INBOX_EVENT_ID
from journey.store.sqlite_connection import SQLiteConnection, chunks


class SQLiteQueues(SQLiteConnection):
    # ------------------------------------------------------------------- inbox
    def enqueue(self, items: Sequence[tuple[str, dict[str, Any]]], received_at: datetime) -> None:
        stamp = codec.ts(received_at)
        with self.transaction():
            self._conn.executemany(
                "INSERT INTO inbox (kind, body, received_at) VALUES (?, ?, ?)",
                [(kind, codec.dumps(body), stamp) for kind, body in items],
            )

    def known_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        return set(self.events_by_id(event_ids))

    def events_by_id(self, event_ids: Sequence[str]) -> dict[str, Event]:
        found: dict[str, Event] = {}
        for chunk in chunks(list(dict.fromkeys(event_ids))):
            marks = ",".join("?" * len(chunk))
            for row in self._all(
                "SELECT id, contact_id, name, timestamp, received_at, properties FROM events"
                f" WHERE id IN ({marks})",
                chunk,
            ):
                found[row[0]] = codec.event_from_row(row)
            # Accepted but not processed yet: the inbox's `event` items.
            for body_text, received_at in self._all(
                f"SELECT body, received_at FROM inbox WHERE kind = 'event'"
                f" AND {INBOX_EVENT_ID} IN ({marks}) ORDER BY seq",
                chunk,
            ):
                body = codec.loads(body_text)
                if body["id"] not in found:
                    found[body["id"]] = codec.event_from_body(
                        body, datetime.fromisoformat(received_at)
                    )
        return found

    def claim_inbox(
        self, now: datetime, limit: int, *, worker: str, lease_until: datetime
    ) -> list[InboxItem]:
        now_text = codec.ts(now)
        with self.transaction():
            rows = self._all(
                "UPDATE inbox SET claimed_by = ?, claim_expires_at = ?,"
                " claim_epoch = claim_epoch + 1 WHERE seq IN (SELECT seq FROM inbox"
                " WHERE claimed_by IS NULL OR claim_expires_at < ? ORDER BY seq LIMIT ?)"
                f" RETURNING seq, kind, body, received_at, {codec.CLAIM_COLUMNS}",
                (worker, codec.ts(lease_until), now_text, limit),
            )
        items = [
            InboxItem(
                seq=row[0],
                kind=row[1],
                body=codec.loads(row[2]),
                received_at=datetime.fromisoformat(row[3]),
                lease=codec.lease_from_row(row),
            )
            for row in rows
        ]
        items.sort(key=lambda item: item.seq)
        return items

    def remove_from_inbox(self, items: Sequence[InboxItem]) -> None:
        with self.transaction():  # BEGIN IMMEDIATE: no claim can change between check and delete
            leased = {item.seq: item.lease for item in items if item.lease is not None}
            for chunk in chunks([str(seq) for seq in leased]):
                rows = self._all(
                    "SELECT seq, claimed_by, claim_epoch FROM inbox"
                    f" WHERE seq IN ({','.join('?' * len(chunk))})",
                    [int(seq) for seq in chunk],
                )
                for seq, holder, epoch in rows:
                    lease = leased[seq]
                    assert lease is not None
                    if epoch != lease.epoch or holder not in (None, lease.worker):
                        raise LeaseLost(f"inbox item {seq}", lease)
            self._conn.executemany(
                "DELETE FROM inbox WHERE seq = ?", [(item.seq,) for item in items]
            )

    def release_inbox(self, items: Sequence[InboxItem]) -> None:
        held = [(i.seq, i.lease.epoch, i.lease.worker) for i in items if i.lease is not None]
        with self.transaction():
            self._conn.executemany(
                "UPDATE inbox SET claimed_by = NULL, claim_expires_at = NULL"
                " WHERE seq = ? AND claim_epoch = ? AND claimed_by = ?",
                held,
            )

    def inbox_size(self) -> int:
        return int(
            self._until_written(("inbox_size",), lambda: self._one("SELECT COUNT(*) FROM inbox")[0])
        )

    # ----------------------------------------------------------- trigger state
    _TRIGGER_COLUMNS = "journey_id, contact_id, next_fire_at, last_fired_at, segment_match"

    def get_trigger_state(self, journey_id: str, contact_id: str) -> TriggerState | None:
        row = self._one(
            f"SELECT {self._TRIGGER_COLUMNS} FROM trigger_state"
            " WHERE journey_id = ? AND contact_id = ?",
            (journey_id, contact_id),
        )
        return codec.trigger_from_row(row) if row else None

    def get_trigger_states(
        self, journey_id: str, contact_ids: Sequence[str]
    ) -> dict[str, TriggerState]:
        states: dict[str, TriggerState] = {}
        for chunk in chunks(list(contact_ids)):
            rows = self._all(
                f"SELECT {self._TRIGGER_COLUMNS} FROM trigger_state WHERE journey_id = ?"
                f" AND contact_id IN ({','.join('?' * len(chunk))})",
                (journey_id, *chunk),
            )
            for row in rows:
                state = codec.trigger_from_row(row)
                states[state.contact_id] = state
        return states

    # An upsert, not INSERT OR REPLACE: the row keeps its claim epoch (the fencing number).
    _PUT_TRIGGER = (
        f"INSERT INTO trigger_state ({_TRIGGER_COLUMNS}) VALUES (?,?,?,?,?)"
        " ON CONFLICT (journey_id, contact_id) DO UPDATE SET"
        " next_fire_at = excluded.next_fire_at, last_fired_at = excluded.last_fired_at,"
        " segment_match = excluded.segment_match, claimed_by = NULL, claim_expires_at = NULL,"
        " claim_epoch = claim_epoch + (claimed_by IS NOT NULL)"
    )

    _PUT_LEASED = (
        "UPDATE trigger_state SET next_fire_at = ?, last_fired_at = ?,"
        " segment_match = ?, claimed_by = NULL, claim_expires_at = NULL"
        " WHERE journey_id = ? AND contact_id = ? AND claim_epoch = ?"
        " AND (claimed_by IS NULL OR claimed_by = ?)"
    )

    @staticmethod
    def _leased_row(state: TriggerState) -> tuple[object, ...]:
        lease = state.lease
        assert lease is not None
        return (
            *codec.trigger_row(state)[2:],
            state.journey_id,
            state.contact_id,
            lease.epoch,
            lease.worker,
        )

    def put_trigger_states(self, states: Sequence[TriggerState]) -> None:
        leased = [state for state in states if state.lease is not None]
        if not leased:
            self._conn.executemany(self._PUT_TRIGGER, [codec.trigger_row(s) for s in states])
            return
        with self.transaction():  # all or nothing when one lease was lost
            rows = [self._leased_row(state) for state in leased]
            if self._conn.executemany(self._PUT_LEASED, rows).rowcount == len(rows):
                rest = [s for s in states if s.lease is None]
                self._conn.executemany(self._PUT_TRIGGER, [codec.trigger_row(s) for s in rest])
                return
            # one was not written: again one at a time (the written ones match again, as
            # their claim is released), to raise for the first whose lease was lost
            for state, row in zip(leased, rows, strict=True):
                lease = state.lease
                assert lease is not None
                cursor = self._conn.execute(self._PUT_LEASED, row)
                if cursor.rowcount == 0 and self._one(
                    "SELECT 1 FROM trigger_state WHERE journey_id = ? AND contact_id = ?",
                    (state.journey_id, state.contact_id),
                ):
                    lost = f"trigger of {state.journey_id} for {state.contact_id}"
                    raise LeaseLost(lost, lease)
            rest = [s for s in states if s.lease is None]
            self._conn.executemany(self._PUT_TRIGGER, [codec.trigger_row(s) for s in rest])

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
        now_text = codec.ts(now)
        marks = ",".join("?" * len(ids))
        with self.transaction():
            rows = self._all(
                "UPDATE trigger_state SET claimed_by = ?, claim_expires_at = ?,"
                " claim_epoch = claim_epoch + 1 WHERE rowid IN (SELECT rowid FROM trigger_state"
                # `+journey_id`: walk the next_fire_at index from the earliest due row; on
                # the primary key SQLite read and sorted every row of the journeys per claim
                f" WHERE next_fire_at <= ? AND +journey_id IN ({marks})"
                " AND (claimed_by IS NULL OR claim_expires_at < ?) ORDER BY next_fire_at LIMIT ?)"
                f" RETURNING {self._TRIGGER_COLUMNS}, {codec.CLAIM_COLUMNS}",
                (worker, codec.ts(lease_until), now_text, *ids, now_text, limit),
            )
        found = [codec.trigger_from_row(row, codec.lease_from_row(row)) for row in rows]
        found.sort(key=lambda s: (s.next_fire_at or now, s.journey_id, s.contact_id))
        return found

    # ----------------------------------------------------------- journey state
    def get_journey_state(self, journey_id: str) -> JourneyState | None:
        row = self._one(
            f"SELECT {JOURNEY_STATE_COLUMNS} FROM journey_state WHERE journey_id = ?",
            (journey_id,),
        )
        return journey_state_from_row(row) if row else None

    def put_journey_state(self, state: JourneyState) -> None:
        self._conn.execute(
            f"INSERT OR REPLACE INTO journey_state ({JOURNEY_STATE_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?)",
            journey_state_row(state),
        )

    def claim_journey_fire(
        self,
        journey_id: str,
        due: datetime,
        *,
        next_fire_at: datetime | None,
        last_fired_at: datetime | None,
    ) -> bool:
        with self.transaction():
            cursor = self._conn.execute(
                "UPDATE journey_state SET next_fire_at = ?, last_fired_at = ?"
                " WHERE journey_id = ? AND next_fire_at = ?",
                (codec.ts(next_fire_at), codec.ts(last_fired_at), journey_id, codec.ts(due)),
            )
        return cursor.rowcount == 1

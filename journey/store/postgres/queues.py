"""PostgreSQL store, the daemon's inbox and the per-journey trigger and journey state.

Answers about event ids (`events_by_id`) and appends to the inbox take one
transaction-scoped advisory lock, so two requests that carry the same id at
the same moment are answered as if one came first: one `new`, one
`duplicate` (SQLite gets that from its single writer).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from journey.engine.state import TriggerState
from journey.model import Event
from journey.store import codec
from journey.store.abc import InboxItem
from journey.store.postgres import rows as pg
from journey.store.postgres.connection import PostgresConnection

INBOX_LOCK = 0x4A524E59_0002  # "JRNY" + 2: event-id answers and inbox appends, one at a time
_TRIGGER_COLUMNS = "journey_id, contact_id, next_fire_at, last_fired_at, segment_match"


class PostgresQueues(PostgresConnection):
    # ------------------------------------------------------------------- inbox
    def enqueue(self, items: Sequence[tuple[str, dict[str, Any]]], received_at: datetime) -> None:
        with self.transaction():
            self._run("SELECT pg_advisory_xact_lock(%s)", (INBOX_LOCK,))
            self._many(
                "INSERT INTO inbox (kind, body, received_at) VALUES (%s, %s, %s)",
                [(kind, codec.dumps(body), received_at) for kind, body in items],
            )

    def known_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        return set(self.events_by_id(event_ids))

    def events_by_id(self, event_ids: Sequence[str]) -> dict[str, Event]:
        ids = list(dict.fromkeys(event_ids))
        if not ids:
            return {}
        if self._depth > 0:  # the answer holds until this transaction enqueues
            self._run("SELECT pg_advisory_xact_lock(%s)", (INBOX_LOCK,))
        found: dict[str, Event] = {}
        for row in self._all(
            "SELECT id, contact_id, name, timestamp, received_at, properties FROM events"
            " WHERE id = ANY(%s)",
            (ids,),
        ):
            found[row[0]] = pg.event_from_row(row)
        for body, received_at in self._all(
            "SELECT body, received_at FROM inbox WHERE kind = 'event'"
            " AND (body->>'id') COLLATE \"C\" = ANY(%s) ORDER BY seq",
            (ids,),
        ):
            if body["id"] not in found:
                found[body["id"]] = codec.event_from_body(body, pg.instant(received_at))
        return found

    def inbox_batch(self, limit: int) -> list[InboxItem]:
        rows = self._all(
            "SELECT seq, kind, body, received_at FROM inbox ORDER BY seq LIMIT %s", (limit,)
        )
        return [
            InboxItem(seq=row[0], kind=row[1], body=row[2], received_at=pg.instant(row[3]))
            for row in rows
        ]

    def remove_from_inbox(self, seqs: Sequence[int]) -> None:
        if seqs:
            self._run("DELETE FROM inbox WHERE seq = ANY(%s)", (list(seqs),))

    def inbox_size(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM inbox")[0])

    # ----------------------------------------------------------- trigger state
    def get_trigger_state(self, journey_id: str, contact_id: str) -> TriggerState | None:
        row = self._one(
            f"SELECT {_TRIGGER_COLUMNS} FROM trigger_state"
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
            f"SELECT {_TRIGGER_COLUMNS} FROM trigger_state WHERE journey_id = %s"
            " AND contact_id = ANY(%s)",
            (journey_id, ids),
        )
        return {row[1]: pg.trigger_from_row(row) for row in rows}

    def put_trigger_states(self, states: Sequence[TriggerState]) -> None:
        self._many(
            f"INSERT INTO trigger_state ({_TRIGGER_COLUMNS}) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (journey_id, contact_id) DO UPDATE SET"
            " next_fire_at = EXCLUDED.next_fire_at, last_fired_at = EXCLUDED.last_fired_at,"
            " segment_match = EXCLUDED.segment_match",
            [
                (s.journey_id, s.contact_id, s.next_fire_at, s.last_fired_at, s.segment_match)
                for s in states
            ],
        )

    def due_trigger_states(
        self, now: datetime, limit: int, journey_ids: Iterable[str]
    ) -> list[TriggerState]:
        ids = list(journey_ids)
        if not ids:
            return []
        rows = self._all(
            f"SELECT {_TRIGGER_COLUMNS} FROM trigger_state WHERE next_fire_at <= %s"
            " AND journey_id = ANY(%s) ORDER BY next_fire_at LIMIT %s",
            (now, ids, limit),
        )
        return [pg.trigger_from_row(row) for row in rows]

    def get_journey_state(self, journey_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT state FROM journey_state WHERE journey_id = %s", (journey_id,))
        return dict(row[0]) if row else None

    def put_journey_state(self, journey_id: str, state: dict[str, Any]) -> None:
        self._run(
            "INSERT INTO journey_state (journey_id, state) VALUES (%s, %s)"
            " ON CONFLICT (journey_id) DO UPDATE SET state = EXCLUDED.state",
            (journey_id, codec.dumps(state)),
        )

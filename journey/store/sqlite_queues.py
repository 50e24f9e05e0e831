"""SQLite store, the daemon's inbox and the per-journey trigger state."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from journey.engine.state import TriggerState
from journey.model import Event
from journey.store import codec
from journey.store.abc import InboxItem
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
                body = json.loads(body_text)
                if body["id"] not in found:
                    found[body["id"]] = codec.event_from_body(
                        body, datetime.fromisoformat(received_at)
                    )
        return found

    def inbox_batch(self, limit: int) -> list[InboxItem]:
        rows = self._all(
            "SELECT seq, kind, body, received_at FROM inbox ORDER BY seq LIMIT ?", (limit,)
        )
        return [
            InboxItem(
                seq=row[0],
                kind=row[1],
                body=json.loads(row[2]),
                received_at=datetime.fromisoformat(row[3]),
            )
            for row in rows
        ]

    def remove_from_inbox(self, seqs: Sequence[int]) -> None:
        self._conn.executemany("DELETE FROM inbox WHERE seq = ?", [(seq,) for seq in seqs])

    def inbox_size(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM inbox")[0])

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

    def put_trigger_states(self, states: Sequence[TriggerState]) -> None:
        self._conn.executemany(
            f"INSERT OR REPLACE INTO trigger_state ({self._TRIGGER_COLUMNS}) VALUES (?,?,?,?,?)",
            [codec.trigger_row(state) for state in states],
        )

    def due_trigger_states(
        self, now: datetime, limit: int, journey_ids: Iterable[str]
    ) -> list[TriggerState]:
        ids = list(journey_ids)
        if not ids:
            return []
        rows = self._all(
            f"SELECT {self._TRIGGER_COLUMNS} FROM trigger_state WHERE next_fire_at <= ?"
            f" AND journey_id IN ({','.join('?' * len(ids))}) ORDER BY next_fire_at LIMIT ?",
            (codec.ts(now), *ids, limit),
        )
        return [codec.trigger_from_row(row) for row in rows]

    def get_journey_state(self, journey_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT state FROM journey_state WHERE journey_id = ?", (journey_id,))
        return json.loads(row[0]) if row else None

    def put_journey_state(self, journey_id: str, state: dict[str, Any]) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO journey_state (journey_id, state) VALUES (?, ?)",
            (journey_id, codec.dumps(state)),
        )

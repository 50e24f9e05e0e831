"""SQLite store, results: bulk reads of enrollments, messages and events for `journey report`.

Read-only and safe while the daemon runs (WAL readers do not block it). Each
read is one or two queries over indexed columns; the analysis lives in
journey.results.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from journey.model import Event
from journey.store import codec
from journey.store.result_rows import (
    TOUCH_COLUMNS,
    EnrollmentOutcome,
    MessageTouch,
    touch_from_row,
)
from journey.store.sqlite_connection import SQLiteConnection, chunks


class SQLiteResults(SQLiteConnection):
    # ----------------------------------------------------------------- results
    def enrollment_outcomes(
        self, journey_id: str, since: datetime | None = None
    ) -> list[EnrollmentOutcome]:
        where, params = "journey_id = ?", [journey_id]
        if since is not None:
            where += " AND entered_at >= ?"
            params.append(codec.ts(since) or "")
        reached: dict[str, dict[str, datetime]] = {}
        for enrollment_id, step_id, first in self._all(
            "SELECT enrollment_id, step_id, MIN(at) FROM step_history WHERE journey_id = ?"
            " GROUP BY enrollment_id, step_id",
            (journey_id,),
        ):
            reached.setdefault(enrollment_id, {})[step_id] = datetime.fromisoformat(first)
        rows = self._all(
            "SELECT id, contact_id, entered_at, converted_at, status, exit_reason, state"
            f" FROM enrollments WHERE {where} ORDER BY entered_at, id",
            params,
        )
        return [
            EnrollmentOutcome(
                enrollment_id=row[0],
                journey_id=journey_id,
                contact_id=row[1],
                entered_at=datetime.fromisoformat(row[2]),
                converted_at=codec.from_ts(row[3]),
                status=row[4],
                exit_reason=row[5],
                arms=dict(codec.loads(row[6] or "{}").get("arms") or {}),
                reached=reached.get(row[0], {}),
            )
            for row in rows
        ]

    def message_touches(
        self, journey_id: str | None = None, since: datetime | None = None
    ) -> list[MessageTouch]:
        clauses, params = [], []
        if journey_id is not None:
            clauses.append("journey_id = ?")
            params.append(journey_id)
        if since is not None:
            clauses.append("created_at >= ?")
            params.append(codec.ts(since) or "")
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all(
            f"SELECT {TOUCH_COLUMNS} FROM deliveries{where} ORDER BY created_at, delivery_key",
            params,
        )
        return [touch_from_row(row, datetime.fromisoformat, codec.from_ts) for row in rows]

    def events_named(
        self,
        names: Iterable[str],
        since: datetime | None = None,
        contact_ids: Collection[str] | None = None,
    ) -> list[Event]:
        found: list[Event] = []
        contacts: list[list[str] | None] = [None]
        if contact_ids is not None:
            contacts = list(chunks(sorted(set(contact_ids)), 400))
        for chunk in chunks(sorted(set(names)), 100):
            for among in contacts:
                params: list[str] = list(chunk)
                where = f"name IN ({','.join('?' * len(chunk))})"
                if since is not None:
                    where += " AND timestamp >= ?"
                    params.append(codec.ts(since) or "")
                if among is not None:
                    where += f" AND contact_id IN ({','.join('?' * len(among))})"
                    params += among
                found.extend(
                    codec.event_from_row(row)
                    for row in self._all(
                        "SELECT id, contact_id, name, timestamp, received_at, properties"
                        f" FROM events WHERE {where}",
                        params,
                    )
                )
        return sorted(found, key=lambda e: (e.timestamp, e.id))

    def last_event_named_at(self, names: Iterable[str]) -> datetime | None:
        # one MAX per name, each a seek on events_name_ts; text order is time order
        latest = [
            row[0]
            for name in sorted(set(names))
            if (row := self._one("SELECT MAX(timestamp) FROM events WHERE name = ?", (name,)))
            and row[0]
        ]
        return codec.from_ts(max(latest)) if latest else None

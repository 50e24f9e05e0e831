"""PostgreSQL store, results: bulk reads of enrollments, messages and events for `journey report`.

The same answers as the SQLite store's (journey.store.sqlite_results): each read
is one or two queries over indexed columns; the analysis lives in journey.results.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from journey.model import Event
from journey.store.postgres import rows as pg
from journey.store.postgres.connection import PostgresConnection
from journey.store.result_rows import (
    TOUCH_COLUMNS,
    EnrollmentOutcome,
    MessageTouch,
    touch_from_row,
)


class PostgresResults(PostgresConnection):
    def enrollment_outcomes(
        self, journey_id: str, since: datetime | None = None
    ) -> list[EnrollmentOutcome]:
        reached: dict[str, dict[str, datetime]] = {}
        for enrollment_id, step_id, first in self._all(
            "SELECT enrollment_id, step_id, MIN(at) FROM step_history WHERE journey_id = %s"
            " GROUP BY enrollment_id, step_id",
            (journey_id,),
        ):
            reached.setdefault(enrollment_id, {})[step_id] = pg.instant(first)
        where = "journey_id = %s"
        params: list[object] = [journey_id]
        if since is not None:
            where += " AND entered_at >= %s"
            params.append(since)
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
                entered_at=pg.instant(row[2]),
                converted_at=pg.utc(row[3]),
                status=row[4],
                exit_reason=row[5],
                arms=dict((row[6] or {}).get("arms") or {}),
                reached=reached.get(row[0], {}),
            )
            for row in rows
        ]

    def message_touches(
        self, journey_id: str | None = None, since: datetime | None = None
    ) -> list[MessageTouch]:
        clauses: list[str] = []
        params: list[object] = []
        if journey_id is not None:
            clauses.append("journey_id = %s")
            params.append(journey_id)
        if since is not None:
            clauses.append("created_at >= %s")
            params.append(since)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all(
            f"SELECT {TOUCH_COLUMNS} FROM deliveries{where} ORDER BY created_at, delivery_key",
            params,
        )
        return [touch_from_row(row, pg.instant, pg.utc) for row in rows]

    def events_named(
        self,
        names: Iterable[str],
        since: datetime | None = None,
        contact_ids: Collection[str] | None = None,
    ) -> list[Event]:
        wanted = sorted(set(names))
        if not wanted:
            return []
        where = "name = ANY(%s)"
        params: list[object] = [wanted]
        if since is not None:
            where += " AND timestamp >= %s"
            params.append(since)
        if contact_ids is not None:
            where += " AND contact_id = ANY(%s)"
            params.append(sorted(set(contact_ids)))
        found = [
            pg.event_from_row(row)
            for row in self._all(
                "SELECT id, contact_id, name, timestamp, received_at, properties"
                f" FROM events WHERE {where}",
                params,
            )
        ]
        return sorted(found, key=lambda e: (e.timestamp, e.id))

    def last_event_named_at(self, names: Iterable[str]) -> datetime | None:
        wanted = sorted(set(names))
        if not wanted:
            return None
        row = self._one("SELECT MAX(timestamp) FROM events WHERE name = ANY(%s)", (wanted,))
        return pg.utc(row[0]) if row and row[0] is not None else None

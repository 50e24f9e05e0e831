"""PostgreSQL store, experiments: the SQLite store's answers (journey.store.sqlite_experiments).

`record_split_decision` is INSERT … ON CONFLICT DO NOTHING on the primary key
(journey, step): of workers deciding at once, one row is kept and every one
reads it back.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from journey.records import SplitDecision
from journey.store.postgres import rows as pg
from journey.store.postgres.connection import PostgresConnection

_COLUMNS = "journey_id, step_id, decided_at, winner, figures"


class PostgresExperiments(PostgresConnection):
    def split_progress(
        self, journey_id: str, step_id: str, *, count_up_to: int
    ) -> tuple[int, datetime | None]:
        where = "journey_id = %s AND step_id = %s AND outcome = 'done'"
        first = self._one(f"SELECT MIN(at) FROM step_history WHERE {where}", (journey_id, step_id))
        given = self._one(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM step_history WHERE {where} LIMIT %s) AS s",
            (journey_id, step_id, max(0, count_up_to)),
        )
        return int(given[0] or 0), pg.utc(first[0])

    def split_decision(self, journey_id: str, step_id: str) -> SplitDecision | None:
        row = self._one(
            f"SELECT {_COLUMNS} FROM split_decisions WHERE journey_id = %s AND step_id = %s",
            (journey_id, step_id),
        )
        return _decision(row) if row else None

    def record_split_decision(self, decision: SplitDecision) -> SplitDecision:
        with self.transaction():
            self._run(
                f"INSERT INTO split_decisions ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s::jsonb)"
                " ON CONFLICT (journey_id, step_id) DO NOTHING",
                (
                    decision.journey_id,
                    decision.step_id,
                    decision.decided_at,
                    decision.winner,
                    json.dumps(decision.figures, sort_keys=True),
                ),
            )
            kept = self.split_decision(decision.journey_id, decision.step_id)
        assert kept is not None
        return kept

    def split_decisions(self, journey_id: str | None = None) -> list[SplitDecision]:
        where, params = ("WHERE journey_id = %s", (journey_id,)) if journey_id else ("", ())
        rows = self._all(
            f"SELECT {_COLUMNS} FROM split_decisions {where}"
            " ORDER BY decided_at, journey_id, step_id",
            params,
        )
        return [_decision(row) for row in rows]


def _decision(row: Any) -> SplitDecision:
    figures = row[4]
    return SplitDecision(
        journey_id=row[0],
        step_id=row[1],
        decided_at=pg.instant(row[2]),
        winner=row[3],
        figures=figures if isinstance(figures, dict) else json.loads(figures or "{}"),
    )

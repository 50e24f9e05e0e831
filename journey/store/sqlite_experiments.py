"""SQLite store, experiments: how far a split has got, and its auto-winner decision (kept once)."""

from __future__ import annotations

import json
from datetime import datetime

from journey.instants import from_ts, ts
from journey.records import SplitDecision
from journey.store.sqlite_connection import SQLiteConnection


class SQLiteExperiments(SQLiteConnection):
    def split_progress(
        self, journey_id: str, step_id: str, *, count_up_to: int
    ) -> tuple[int, datetime | None]:
        where = "journey_id = ? AND step_id = ? AND outcome = 'done'"
        first = self._one(f"SELECT MIN(at) FROM step_history WHERE {where}", (journey_id, step_id))
        given = self._one(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM step_history WHERE {where} LIMIT ?) AS s",
            (journey_id, step_id, max(0, count_up_to)),
        )
        return int(given[0] or 0), from_ts(first[0])

    def split_decision(self, journey_id: str, step_id: str) -> SplitDecision | None:
        row = self._one(
            "SELECT journey_id, step_id, decided_at, winner, figures FROM split_decisions"
            " WHERE journey_id = ? AND step_id = ?",
            (journey_id, step_id),
        )
        return _decision(row) if row else None

    def record_split_decision(self, decision: SplitDecision) -> SplitDecision:
        with self.transaction():
            self._conn.execute(
                "INSERT OR IGNORE INTO split_decisions"
                " (journey_id, step_id, decided_at, winner, figures) VALUES (?, ?, ?, ?, ?)",
                (
                    decision.journey_id,
                    decision.step_id,
                    ts(decision.decided_at),
                    decision.winner,
                    json.dumps(decision.figures, sort_keys=True),
                ),
            )
            kept = self.split_decision(decision.journey_id, decision.step_id)
        assert kept is not None
        return kept

    def split_decisions(self, journey_id: str | None = None) -> list[SplitDecision]:
        where, params = ("WHERE journey_id = ?", (journey_id,)) if journey_id else ("", ())
        rows = self._all(
            "SELECT journey_id, step_id, decided_at, winner, figures FROM split_decisions"
            f" {where} ORDER BY decided_at, journey_id, step_id",
            params,
        )
        return [_decision(row) for row in rows]


def _decision(row: tuple[str, str, str, str | None, str]) -> SplitDecision:
    decided = from_ts(row[2])
    assert decided is not None
    return SplitDecision(
        journey_id=row[0],
        step_id=row[1],
        decided_at=decided,
        winner=row[3],
        figures=json.loads(row[4] or "{}"),
    )

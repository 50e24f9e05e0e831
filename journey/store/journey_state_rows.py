"""A journey's state as the stores' rows: the columns both backends read and write, and
SQLite's spelling of its instants (PostgreSQL's is journey.store.postgres.rows')."""

from __future__ import annotations

from typing import Any

from journey.instants import from_ts, ts
from journey.records import JourneyState

JOURNEY_STATE_COLUMNS = (
    "journey_id, trigger, activated_at, next_fire_at, last_fired_at, trigger_hash"
)


def journey_state_row(s: JourneyState) -> tuple[Any, ...]:
    return (
        s.journey_id,
        s.trigger,
        ts(s.activated_at),
        ts(s.next_fire_at),
        ts(s.last_fired_at),
        s.trigger_hash,
    )


def journey_state_from_row(row: tuple[Any, ...]) -> JourneyState:
    return JourneyState(
        journey_id=row[0],
        trigger=row[1],
        activated_at=from_ts(row[2]),
        next_fire_at=from_ts(row[3]),
        last_fired_at=from_ts(row[4]),
        trigger_hash=row[5],
    )

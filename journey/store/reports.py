"""Counting queries behind `journey status`, shared by the SQL stores."""

from __future__ import annotations

import sqlite3

from journey.records import JourneyCounts, StepCounts

_DELIVERY_OUTCOMES = {"dead": "dead_lettered", "failed": "delivery_failed"}


def journey_counts(conn: sqlite3.Connection, journey_id: str) -> JourneyCounts:
    """Per journey and step: entered, waiting, outcomes, deliveries, conversions, exits."""
    counts = JourneyCounts(journey_id=journey_id)
    row = conn.execute(
        "SELECT COUNT(*), SUM(status = 'active'), COUNT(converted_at) FROM enrollments"
        " WHERE journey_id = ?",
        (journey_id,),
    ).fetchone()
    counts.entered, counts.active, counts.converted = (int(v or 0) for v in row)
    for reason, number in conn.execute(
        "SELECT exit_reason, COUNT(*) FROM enrollments WHERE journey_id = ? AND status = 'exited'"
        " GROUP BY exit_reason",
        (journey_id,),
    ):
        counts.exited[reason or "unknown"] = number
    for status, number in conn.execute(
        "SELECT status, COUNT(*) FROM deliveries WHERE journey_id = ? GROUP BY status",
        (journey_id,),
    ):
        counts.deliveries[status] = number
    for step_id, outcome, number in conn.execute(
        "SELECT step_id, outcome, COUNT(*) FROM step_history WHERE journey_id = ?"
        " GROUP BY step_id, outcome",
        (journey_id,),
    ):
        step = counts.steps.setdefault(step_id, StepCounts())
        step.outcomes[outcome] = number
    for step_id, outcome, detail, number in conn.execute(
        "SELECT step_id, outcome, detail, COUNT(*) FROM step_history WHERE journey_id = ?"
        " AND detail != '' AND outcome IN ('sent', 'suppressed', 'capped')"
        " GROUP BY step_id, outcome, detail",
        (journey_id,),
    ):
        counts.steps.setdefault(step_id, StepCounts()).details[f"{outcome}: {detail}"] = number
    for step_id, number in conn.execute(
        "SELECT step_id, COUNT(DISTINCT enrollment_id) FROM step_history WHERE journey_id = ?"
        " GROUP BY step_id",
        (journey_id,),
    ):
        counts.steps.setdefault(step_id, StepCounts()).entered = number
    for step_id, number in conn.execute(
        "SELECT step_id, COUNT(*) FROM enrollments WHERE journey_id = ? AND status = 'active'"
        " GROUP BY step_id",
        (journey_id,),
    ):
        counts.steps.setdefault(step_id, StepCounts()).waiting = number
    for step_id, reason, number in conn.execute(
        "SELECT step_id, exit_reason, COUNT(*) FROM enrollments WHERE journey_id = ?"
        " AND status = 'exited' GROUP BY step_id, exit_reason",
        (journey_id,),
    ):
        if step_id in counts.steps:  # not the `end` a completed enrollment stops at
            counts.steps[step_id].exited[reason or "unknown"] = number
    for step_id, status, number in conn.execute(
        "SELECT step_id, status, COUNT(*) FROM deliveries WHERE journey_id = ?"
        " AND status IN ('dead', 'failed', 'parked', 'uncertain', 'unconfirmed')"
        " GROUP BY step_id, status",
        (journey_id,),
    ):
        outcomes = counts.steps.setdefault(step_id, StepCounts()).outcomes
        outcomes[_DELIVERY_OUTCOMES.get(status, status)] = number
    return counts

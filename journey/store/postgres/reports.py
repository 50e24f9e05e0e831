"""Counting queries behind `journey status`, on PostgreSQL (the SQLite store's, in its dialect)."""

from __future__ import annotations

from typing import Any

from journey.store.abc import JourneyCounts, StepCounts

_DELIVERY_OUTCOMES = {"dead": "dead_lettered", "failed": "delivery_failed"}


def journey_counts(conn: Any, journey_id: str) -> JourneyCounts:
    """Per journey and step: entered, waiting, outcomes, deliveries, conversions, exits."""
    counts = JourneyCounts(journey_id=journey_id)
    param = (journey_id,)
    row = conn.execute(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'active'), COUNT(converted_at)"
        " FROM enrollments WHERE journey_id = %s",
        param,
    ).fetchone()
    counts.entered, counts.active, counts.converted = (int(v or 0) for v in row)
    for reason, number in conn.execute(
        "SELECT exit_reason, COUNT(*) FROM enrollments WHERE journey_id = %s"
        " AND status = 'exited' GROUP BY exit_reason",
        param,
    ):
        counts.exited[reason or "unknown"] = number
    for status, number in conn.execute(
        "SELECT status, COUNT(*) FROM deliveries WHERE journey_id = %s GROUP BY status", param
    ):
        counts.deliveries[status] = number
    for step_id, outcome, number in conn.execute(
        "SELECT step_id, outcome, COUNT(*) FROM step_history WHERE journey_id = %s"
        " GROUP BY step_id, outcome",
        param,
    ):
        counts.steps.setdefault(step_id, StepCounts()).outcomes[outcome] = number
    for step_id, outcome, detail, number in conn.execute(
        "SELECT step_id, outcome, detail, COUNT(*) FROM step_history WHERE journey_id = %s"
        " AND detail != '' AND outcome IN ('sent', 'suppressed', 'capped')"
        " GROUP BY step_id, outcome, detail",
        param,
    ):
        counts.steps.setdefault(step_id, StepCounts()).details[f"{outcome}: {detail}"] = number
    for step_id, number in conn.execute(
        "SELECT step_id, COUNT(DISTINCT enrollment_id) FROM step_history WHERE journey_id = %s"
        " GROUP BY step_id",
        param,
    ):
        counts.steps.setdefault(step_id, StepCounts()).entered = number
    for step_id, number in conn.execute(
        "SELECT step_id, COUNT(*) FROM enrollments WHERE journey_id = %s AND status = 'active'"
        " GROUP BY step_id",
        param,
    ):
        counts.steps.setdefault(step_id, StepCounts()).waiting = number
    for step_id, reason, number in conn.execute(
        "SELECT step_id, exit_reason, COUNT(*) FROM enrollments WHERE journey_id = %s"
        " AND status = 'exited' GROUP BY step_id, exit_reason",
        param,
    ):
        if step_id in counts.steps:  # not the `end` a completed enrollment stops at
            counts.steps[step_id].exited[reason or "unknown"] = number
    for step_id, status, number in conn.execute(
        "SELECT step_id, status, COUNT(*) FROM deliveries WHERE journey_id = %s"
        " AND status IN ('dead', 'failed', 'parked', 'uncertain', 'unconfirmed')"
        " GROUP BY step_id, status",
        param,
    ):
        outcomes = counts.steps.setdefault(step_id, StepCounts()).outcomes
        outcomes[_DELIVERY_OUTCOMES.get(status, status)] = number
    return counts

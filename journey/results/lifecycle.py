"""Lifecycle figures over a journey's enrollments: conversion cohorts by week of entry.

A cohort is the enrollments that entered in one week (Monday to Sunday, in the
journey's time zone); each cell is the share of the cohort converted by the end
of that many weeks since entry (cumulative, so a row never falls). Weeks that
have not fully elapsed for the whole cohort are left out rather than shown low.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from journey.store.result_rows import EnrollmentOutcome

MAX_WEEKS = 12


def cohorts(
    outcomes: list[EnrollmentOutcome],
    conversions: dict[str, Any],
    zone: ZoneInfo,
    *,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """[{week, entered, converted_by_week: [share after 1 week, after 2, ...]}] oldest first."""
    if not outcomes:
        return []
    end = until or max([o.entered_at for o in outcomes] + [c[0] for c in conversions.values() if c])
    groups: dict[date, list[EnrollmentOutcome]] = defaultdict(list)
    for outcome in outcomes:
        local = outcome.entered_at.astimezone(zone).date()
        groups[local - timedelta(days=local.weekday())].append(outcome)
    rows = []
    for week in sorted(groups):
        members = groups[week]
        latest_entry = max(o.entered_at for o in members)
        shares = []
        for weeks in range(1, MAX_WEEKS + 1):
            horizon = timedelta(weeks=weeks)
            if latest_entry + horizon > end:
                break
            done = sum(
                1
                for o in members
                if (c := conversions.get(o.enrollment_id)) and c[0] - o.entered_at <= horizon
            )
            shares.append(done / len(members))
        rows.append(
            {"week": week.isoformat(), "entered": len(members), "converted_by_week": shares}
        )
    return rows

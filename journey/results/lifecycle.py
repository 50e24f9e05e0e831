"""Lifecycle figures: conversion cohorts by week of entry, survey scores, stages.

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


def survey_scores(credits: list[Any], surveys: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per declared survey: responses and NPS (promoters minus detractors, in points of 100)
    or CSAT (the share answering one of the top two scores)."""
    found: dict[str, dict[str, Any]] = {}
    for name, survey in surveys.items():
        scores = [c.value for c in credits if c.survey == name and c.value is not None]
        row: dict[str, Any] = {"kind": survey.kind, "responses": len(scores)}
        if survey.kind == "nps":
            promoters = sum(1 for s in scores if s >= 9)
            detractors = sum(1 for s in scores if s <= 6)
            row.update(
                promoters=promoters,
                passives=len(scores) - promoters - detractors,
                detractors=detractors,
                nps=round(100 * (promoters - detractors) / len(scores), 1) if scores else None,
            )
        else:
            satisfied = sum(1 for s in scores if s >= survey.scale - 1)
            row.update(satisfied=satisfied, csat=satisfied / len(scores) if scores else None)
        found[name] = row
    return found


def stages(journeys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per lifecycle stage (the journeys' `kind`): entered, converted, rate, sent, revenue."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for journey in journeys:
        grouped[journey["kind"] or "removed"].append(journey)
    rows = []
    for kind in sorted(grouped):
        members = grouped[kind]
        entered = sum(j["entered"] for j in members)
        converted = sum(j["converted"] for j in members)
        revenue: dict[str, float] = defaultdict(float)
        for journey in members:
            for currency, value in journey["revenue"].items():
                revenue[currency] += value
        rows.append(
            {
                "stage": kind,
                "journeys": [j["id"] for j in members],
                "entered": entered,
                "converted": converted,
                "conversion_rate": converted / entered if entered else None,
                "sent": sum(j["sent"] for j in members),
                "unsubscribed": sum(j["unsubscribed"] for j in members),
                "revenue": {c: round(v, 2) for c, v in sorted(revenue.items())},
            }
        )
    return rows

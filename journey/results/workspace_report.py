"""The report for a workspace folder: its plans, its conversions, its database (or another)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from journey.durations import parse_duration
from journey.errors import UsageError
from journey.localtime import parse_instant
from journey.results.report import DEFAULT_CONFIDENCE, ReportOptions, build_report
from journey.status_report import plans_and_database
from journey.store.url import open_store, shown, store_exists
from journey.validator.suggest import did_you_mean
from journey.workspace import load_workspace

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`2026-03-01` (midnight UTC), an instant with an offset, or a duration back from now."""
    value = text.strip()
    if _DATE.match(value):
        return datetime.combine(date.fromisoformat(value), time(), UTC)
    try:
        return parse_instant(value)
    except ValueError:
        pass
    try:
        duration = parse_duration(value)
    except ValueError:
        raise UsageError(
            f"--since `{text}` is neither a date (2026-03-01), an instant with an offset "
            "(2026-03-01T09:00:00+01:00) nor a duration back from now (14d)"
        ) from None
    moment = now or datetime.now(UTC)
    return moment - timedelta(days=duration.calendar_days, seconds=duration.seconds)


def workspace_report(
    root: Path,
    *,
    database: str | Path | None = None,
    journeys: tuple[str, ...] | list[str] = (),
    since: datetime | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    demo_fallback: bool = False,
) -> dict[str, Any] | None:
    """The report, or None when the database does not exist yet.

    With `demo_fallback`, a workspace that has never run but has run the demo
    (`journey run --demo`) is reported from the demo's store; the report says so.
    """
    if not 0.5 <= confidence < 1:
        raise UsageError(f"--confidence must be at least 0.5 and below 1, not {confidence}")
    plans, location = plans_and_database(root, database)
    workspace = load_workspace(root)[0]
    demo = root / ".journey" / "demo.db"
    from_demo = demo_fallback and database is None and not store_exists(location) and demo.exists()
    if from_demo:
        location = str(demo)
    if not store_exists(location):
        return None
    store = open_store(location)
    try:
        known = set(plans) | set(store.journey_ids())
        for journey_id in journeys:
            if journey_id not in known:
                hint = did_you_mean(journey_id, sorted(known)) or ""
                raise UsageError(
                    f"no journey `{journey_id}` in the workspace or the store {hint}".rstrip()
                )
        report = build_report(
            store,
            plans,
            workspace.conversions,
            journey_ids=list(dict.fromkeys(journeys)),
            options=ReportOptions(
                since=since,
                confidence=confidence,
                default_timezone=workspace.default_timezone,
                holdout=workspace.holdout,
            ),
        )
    finally:
        store.close()
    report["database"] = shown(location)
    report["demo"] = from_demo
    return report

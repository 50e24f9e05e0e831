"""Durations, wall-clock times, time zones and cron expressions.

Time is where a small typo does the most harm: `30m` meant as a month waits
half an hour, `Europe/Stokholm` falls back to UTC, `9:3O` never fires.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from journey.durations import normalise_hhmm, parse_duration, uses_minutes
from journey.loader import JsonPath
from journey.localtime import parse_cron
from journey.validator.semantic_context import Checker, mapping, steps, text
from journey.validator.suggest import closest, sentence

REENTRY_WORDS = frozenset({"never", "always"})


@dataclass(frozen=True, slots=True)
class DurationSite:
    path: JsonPath
    value: Any
    negative_ok: bool = False
    months_likely: bool = False  # where `m` is more often meant as months than minutes


def journey_duration_sites(data: dict[str, Any]) -> list[DurationSite]:
    trigger = mapping(data.get("trigger"))
    date = mapping(trigger.get("date"))
    cap = mapping(data.get("frequency_cap"))
    sites = [
        DurationSite(
            ("goal", "within"), mapping(data.get("goal")).get("within"), months_likely=True
        ),
        DurationSite(("frequency_cap", "per"), cap.get("per"), months_likely=True),
        DurationSite(("frequency_cap", "max_defer"), cap.get("max_defer")),
        DurationSite(("max_trigger_age",), data.get("max_trigger_age")),
        DurationSite(("trigger", "date", "offset"), date.get("offset"), True, True),
        DurationSite(("trigger", "date", "catch_up"), date.get("catch_up")),
        DurationSite(
            ("trigger", "inactivity", "for"),
            mapping(trigger.get("inactivity")).get("for"),
            months_likely=True,
        ),
        DurationSite(("trigger", "recheck"), trigger.get("recheck")),
    ]
    reentry = data.get("reentry")
    if not (isinstance(reentry, str) and reentry in REENTRY_WORDS):
        sites.append(DurationSite(("reentry",), reentry, months_likely=True))
    for view in steps(data):
        if view.action == "wait":
            sites.append(DurationSite(view.body_path, view.body))
        elif view.action == "wait_for":
            sites.append(
                DurationSite((*view.body_path, "timeout"), mapping(view.body).get("timeout"))
            )
    return sites


def workspace_duration_sites(data: dict[str, Any]) -> list[DurationSite]:
    cap = mapping(data.get("frequency_cap"))
    return [
        DurationSite(("frequency_cap", "per"), cap.get("per"), months_likely=True),
        DurationSite(("frequency_cap", "max_defer"), cap.get("max_defer")),
        *(DurationSite((key,), data.get(key)) for key in _WORKSPACE_DURATIONS),
        DurationSite(("conversions", "window"), mapping(data.get("conversions")).get("window")),
    ]


_WORKSPACE_DURATIONS = ("event_retention", "max_trigger_age", "segment_recheck", "max_defer")


def check_durations(checker: Checker, sites: list[DurationSite]) -> None:
    for site in sites:
        if not isinstance(site.value, str):
            continue  # absent, or a wrong type the schema pass reports
        try:
            parse_duration(site.value, allow_negative=site.negative_ok)
        except ValueError as exc:
            hint = "Durations use units w d h m s, largest first, e.g. `2d`, `12h`, `1d12h`."
            if site.path == ("reentry",):
                hint = "Write `never`, `always`, or a cool-down such as `90d`."
            checker.add("invalid-duration", str(exc), site.path, hint=hint)
            continue
        if site.months_likely and uses_minutes(site.value):
            checker.add(
                "suspicious-duration",
                f"`{site.value}` is in minutes",
                site.path,
                severity="warning",
                hint="`m` means minutes; did you mean days (d) or weeks (w)?",
            )


def time_sites(data: dict[str, Any]) -> list[tuple[JsonPath, Any]]:
    sites: list[tuple[JsonPath, Any]] = [
        (("trigger", "date", "at"), mapping(mapping(data.get("trigger")).get("date")).get("at"))
    ]
    for view in steps(data):
        if view.action == "wait_until":
            sites.append(((*view.body_path, "time"), mapping(view.body).get("time")))
    return sites


def check_times(checker: Checker, sites: list[tuple[JsonPath, Any]]) -> None:
    for path, value in sites:
        if isinstance(value, str):
            _hhmm(checker, path, value)


def _hhmm(checker: Checker, path: JsonPath, value: str) -> str | None:
    try:
        return normalise_hhmm(value)
    except ValueError as exc:
        checker.add(
            "invalid-time",
            str(exc),
            path,
            hint='Use a 24-hour time in quotes, from "00:00" to "23:59".',
        )
        return None


def check_quiet_hours(checker: Checker, value: Any, path: JsonPath) -> None:
    quiet = mapping(value)
    start_text, end_text = quiet.get("start"), quiet.get("end")
    start = _hhmm(checker, (*path, "start"), start_text) if isinstance(start_text, str) else None
    end = _hhmm(checker, (*path, "end"), end_text) if isinstance(end_text, str) else None
    if start is not None and start == end:
        checker.add(
            "quiet-hours-empty",
            f"quiet hours start and end at the same time ({start})",
            path,
            hint='Give a real interval, e.g. start "21:00" and end "08:00", '
            "or write `quiet_hours: false` to turn them off.",
        )


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(
    checker: Checker, value: Any, path: JsonPath, *, contact_ok: bool = False
) -> None:
    zone = text(value)
    if zone is None or zone in known_zones() or (contact_ok and zone == "contact"):
        return
    matches = closest(zone, known_zones(), limit=2, cutoff=0.85)
    suggestion = "did you mean " + " or ".join(f"`{m}`" for m in matches) + "?" if matches else None
    checker.add(
        "unknown-timezone",
        f"`{zone}` is not an IANA time zone",
        path,
        hint=sentence(suggestion, "zones are written like `Europe/Stockholm` or `UTC`."),
    )


def check_cron(checker: Checker, value: Any, path: JsonPath) -> None:
    if not isinstance(value, str):
        return
    try:
        parse_cron(value)
    except ValueError as exc:
        checker.add(
            "invalid-cron",
            f"invalid cron expression: {exc}",
            path,
            hint="Five fields: minute hour day-of-month month day-of-week, "
            "e.g. `0 9 * * MON` for Mondays at 09:00.",
        )


def check_journey_time(checker: Checker) -> None:
    data = checker.data
    check_durations(checker, journey_duration_sites(data))
    check_times(checker, time_sites(data))
    check_quiet_hours(checker, data.get("quiet_hours"), ("quiet_hours",))
    check_timezone(checker, data.get("timezone"), ("timezone",))
    schedule = mapping(mapping(data.get("trigger")).get("schedule"))
    check_timezone(
        checker, schedule.get("timezone"), ("trigger", "schedule", "timezone"), contact_ok=True
    )
    check_cron(checker, schedule.get("cron"), ("trigger", "schedule", "cron"))

"""Wall-clock arithmetic: the only place that turns local times into instants.

Everything else keeps aware UTC datetimes. The rules of the DSL live here: a
calendar day keeps the local time across DST, a local time that does not exist
(spring forward) moves forward by the gap, an ambiguous one (fall back) takes the
first occurrence, 29 February becomes 28 February in common years, and cron is
evaluated in local wall time with the same rules.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from journey.durations import parse_hhmm
from journey.model import WEEKDAYS, Duration, QuietHours

UTC_ZONE = ZoneInfo("UTC")


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo | None:
    """The IANA zone called `name`, or None when there is no such zone."""
    if not name or not isinstance(name, str):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def resolve_zone(*candidates: str | None) -> ZoneInfo:
    """The first valid zone of contact, journey, workspace (an invalid one falls through)."""
    for name in candidates:
        if name:
            found = zone(name)
            if found is not None:
                return found
    return UTC_ZONE


def localize(naive_local: datetime, tz: ZoneInfo) -> datetime:
    """A local wall time in `tz` -> the UTC instant, by the DSL's gap and fold rules.

    With fold=0, zoneinfo reads a time in a spring-forward gap with the offset from
    before the gap, which is exactly "moved forward by the gap"; and an ambiguous
    time with fold=0 is its first occurrence.
    """
    return naive_local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def add_duration(instant: datetime, duration: Duration, tz: ZoneInfo) -> datetime:
    """Calendar days first in local wall time (keeping the local time), then elapsed seconds."""
    result = instant.astimezone(UTC)
    if duration.calendar_days:
        local = result.astimezone(tz)
        shifted = local.replace(tzinfo=None) + timedelta(days=duration.calendar_days)
        result = localize(shifted, tz)
    if duration.seconds:
        result = result + timedelta(seconds=duration.seconds)
    return result


def subtract_duration(instant: datetime, duration: Duration, tz: ZoneInfo) -> datetime:
    """The start of a window of length `duration` ending at `instant`."""
    negated = Duration(calendar_days=-duration.calendar_days, seconds=-duration.seconds)
    return add_duration(instant, negated, tz)


def local_time_on(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    """The instant at which it is `hhmm` on `day` in `tz` (gap: forward; fold: first)."""
    hours, minutes = parse_hhmm(hhmm)
    return localize(datetime.combine(day, time(hours, minutes)), tz)


def next_wall_time(after: datetime, hhmm: str, days: Iterable[str], tz: ZoneInfo) -> datetime:
    """The earliest instant at or after `after` whose local time is `hhmm` on one of `days`.

    Entering exactly at the time continues at once (the result equals `after`).
    """
    allowed = {WEEKDAYS.index(d) for d in days} or set(range(7))
    local_day = after.astimezone(tz).date()
    for offset in range(8):
        day = local_day + timedelta(days=offset)
        if day.weekday() not in allowed:
            continue
        candidate = local_time_on(day, hhmm, tz)
        if candidate >= after:
            return candidate
    raise AssertionError("a weekday recurs within eight days")  # pragma: no cover


def quiet_until(instant: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime | None:
    """When the quiet interval containing `instant` ends, or None if `instant` is not quiet.

    The interval is contact-local [start, end); start > end spans midnight.
    """
    local = instant.astimezone(tz)
    start, end = parse_hhmm(quiet.start), parse_hhmm(quiet.end)
    now_hm = (local.hour, local.minute)
    today = local.date()
    if start < end:
        if not start <= now_hm < end:
            return None
        end_day = today
    elif now_hm >= start:
        end_day = today + timedelta(days=1)
    elif now_hm < end:
        end_day = today
    else:
        return None
    result = local_time_on(end_day, quiet.end, tz)
    return result if result > instant else None


def yearly_occurrence(month: int, day: int, year: int) -> date:
    """Month and day in `year`; 29 February becomes 28 February in common years."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


# ---------------------------------------------------------------------- cron

_MONTHS = {
    name: i
    for i, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
        start=1,
    )
}
_DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
)
_MONTH_FIELD = ("month", 1, 12, _MONTHS)
_DOW_FIELD = ("day of week", 0, 7, _DAYS)
_MAX_SEARCH_DAYS = 366 * 8 + 2  # 29 February may be eight years away (2096 -> 2104)


@dataclass(frozen=True, slots=True)
class CronSpec:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]  # 0 = Sunday .. 6 = Saturday
    dom_restricted: bool
    dow_restricted: bool

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        dom_ok = day.day in self.days_of_month
        dow_ok = (day.isoweekday() % 7) in self.days_of_week
        if self.dom_restricted and self.dow_restricted:
            return dom_ok or dow_ok
        return dom_ok and dow_ok


def _value(token: str, low: int, high: int, names: dict[str, int], field: str) -> int:
    upper = token.upper()
    if upper in names:
        return names[upper]
    if not (token.isascii() and token.isdigit()):
        raise ValueError(f"`{token}` is not a valid {field}")
    number = int(token)
    if not low <= number <= high:
        raise ValueError(f"{field} `{token}` is out of range {low}-{high}")
    return number


def _parse_field(text: str, low: int, high: int, names: dict[str, int], field: str) -> set[int]:
    result: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ValueError(f"empty item in {field} `{text}`")
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"`{step_text}` is not a valid step in {field}")
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = (_value(a, low, high, names, field), _value(b, low, high, names, field))
            if names is _DAYS and last == 0 < first and b.upper() == "SUN":
                last = 7  # `MON-SUN` ends on Sunday, like `1-7`
            if first > last:
                raise ValueError(f"range `{base}` in {field} runs backwards")
        else:
            first = _value(base, low, high, names, field)
            last = high if step_text else first
        result.update(range(first, last + 1, step))
    return result


@lru_cache(maxsize=256)
def parse_cron(expr: str) -> CronSpec:
    """A standard five-field cron expression; raises ValueError with a plain message."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"`{expr}` needs five fields (minute hour day month weekday)")
    minute, hour, dom = (
        _parse_field(fields[i], low, high, names, name)
        for i, (name, low, high, names) in enumerate(_FIELDS)
    )
    months = _parse_field(fields[3], *_MONTH_FIELD[1:3], _MONTH_FIELD[3], _MONTH_FIELD[0])
    dow = _parse_field(fields[4], *_DOW_FIELD[1:3], _DOW_FIELD[3], _DOW_FIELD[0])
    dow = {d % 7 for d in dow}  # 7 is Sunday too
    return CronSpec(
        minutes=tuple(sorted(minute)),
        hours=tuple(sorted(hour)),
        days_of_month=frozenset(dom),
        months=frozenset(months),
        days_of_week=frozenset(dow),
        dom_restricted=not fields[2].startswith("*"),
        dow_restricted=not fields[4].startswith("*"),
    )


def next_cron_time(expr: str, after: datetime, tz: ZoneInfo) -> datetime | None:
    """The first fire time strictly after `after`, evaluated in local wall time of `tz`.

    Remembered per (expression, instant, zone): a schedule in each contact's zone asks
    this for every contact it fires for, at the same instant in a handful of zones, and
    one answer samples the zone's offset hourly over a week (`_steady`).

    Each matching wall time fires once, at `localize`'s instant. A time in a gap
    moves forward by the gap, so it can land after a later wall time (Lord Howe's
    30-minute gap: 02:00 fires at 02:30 and 02:20 at 02:50, while 02:40 fires at
    02:40): near a change of offset, instants are compared, not wall times.

    None when the expression can never fire (e.g. `0 0 30 2 *`).
    """
    return _next_cron_time(expr, after, tz)


@lru_cache(maxsize=4096)
def _next_cron_time(expr: str, after: datetime, tz: ZoneInfo) -> datetime | None:
    # A pure function of the instant `after` (two aware datetimes at one instant are equal
    # and hash alike) and of `tz`; the answer is a UTC datetime, whatever `after`'s zone.
    spec = parse_cron(expr)
    local = after.astimezone(tz)
    day, earliest = local.date(), (local.hour, local.minute)
    for _ in range(_MAX_SEARCH_DAYS):
        if spec.day_matches(day):
            for hour in spec.hours:
                for minute in spec.minutes:
                    if (hour, minute) < earliest:  # before `after` unless a change is near,
                        continue  # which `_steady` finds for the first candidate after it
                    fire = localize(datetime.combine(day, time(hour, minute)), tz)
                    if fire > after:
                        if _steady(tz, after - _MAX_GAP, fire):
                            return fire
                        return _next_fire_near_a_change(spec, after, tz)
        day, earliest = day + timedelta(days=1), (0, 0)
    return None


# A gap is at most a day long (Samoa skipped 30 December 2011); tzdata's changes
# of offset are hours apart, so hourly samples see every one.
_MAX_GAP = timedelta(hours=25)
_SAMPLE = timedelta(hours=1)


def _steady(tz: ZoneInfo, start: datetime, end: datetime) -> bool:
    """Whether the offset of `tz` is the same all through [start, end]."""
    offset = start.astimezone(tz).utcoffset()
    at = start + _SAMPLE
    while at < end:
        if at.astimezone(tz).utcoffset() != offset:
            return False
        at += _SAMPLE
    return end.astimezone(tz).utcoffset() == offset


def _next_fire_near_a_change(spec: CronSpec, after: datetime, tz: ZoneInfo) -> datetime | None:
    """The earliest instant among every candidate that can fire after `after`, up to
    the first wall time that exists (those map to increasing instants).

    A time in a gap fires at its wall time less the offset before the gap, never
    less than the smallest offset around, so wall times before `after` plus that
    offset cannot fire after `after` and are not tried."""
    around = (after + _SAMPLE * i for i in range(-25, 26))
    smallest = min(at.astimezone(tz).utcoffset() or timedelta(0) for at in around)
    earliest = after.astimezone(UTC).replace(tzinfo=None) + smallest
    day = earliest.date()
    best: datetime | None = None
    for _ in range(_MAX_SEARCH_DAYS):
        if spec.day_matches(day):
            for hour in spec.hours:
                for minute in spec.minutes:
                    wall = datetime.combine(day, time(hour, minute))
                    if wall < earliest:
                        continue
                    fire = localize(wall, tz)
                    if fire <= after:
                        continue
                    best = fire if best is None else min(best, fire)
                    if fire.astimezone(tz).replace(tzinfo=None) == wall:  # not in a gap
                        return best
        day += timedelta(days=1)
    return best


def parse_instant(value: str) -> datetime:
    """RFC 3339 text -> aware UTC datetime; a naive timestamp is a ValueError."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"`{value}` has no time zone; add `Z` or an offset such as +01:00")
    return parsed.astimezone(UTC)


def parse_date_value(value: object) -> date | None:
    """A `YYYY-MM-DD` date or a datetime (text or object) -> its calendar date, else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None

"""Cron fires every wall time the contract requires, in every zone whose clocks jump by
anything but an hour (Lord Howe's 30 minutes, Troll's 2 hours, Samoa's whole day).

The reference is independent of journey.localtime: croniter enumerates the matching
local wall minutes (naive, no zone rules), and a brute-force walk over every UTC
minute around the change turns each into the instant the contract names (spec
section 4): a wall time that exists fires at its first occurrence; one in a gap
fires moved forward by the gap, i.e. read with the offset in force just before it.
The zones are found by scanning zoneinfo, not listed by hand.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from journey.localtime import next_cron_time, parse_cron

YEARS = range(2009, 2031)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SCAN_DAYS = [datetime(YEARS[0], 1, 1) + i * DAY for i in range(366 * len(YEARS))]
MINUTE = timedelta(minutes=1)
EXPRESSIONS = (
    "*/20 2 * * *",  # the example: 02:40 exists on the day of the change
    "*/7 * * * *",
    "0,30 0-3 * * *",
    "45 1 * * *",
    "0 0 * * *",
    "15 2 * * MON-SUN",
    "10 2 1 * SUN",  # both day fields restricted: either fires
)


def _day_offsets(tz: zoneinfo.ZoneInfo) -> Iterator[tuple[datetime, timedelta]]:
    """(the first UTC minute of a new offset, the change) for each change in YEARS."""
    days = SCAN_DAYS
    offsets = list(map(tz.utcoffset, days))  # a naive local midnight each: cheap to scan
    for i in range(1, len(days)):
        before, after = offsets[i - 1], offsets[i]
        if before is None or after is None or before == after:
            continue
        low = days[i - 1].replace(tzinfo=UTC) - 2 * DAY  # bisect in UTC, to the minute
        high = days[i].replace(tzinfo=UTC) + 2 * DAY
        assert low.astimezone(tz).utcoffset() == before
        while high - low > MINUTE:
            middle = (low + (high - low) // 2).replace(second=0, microsecond=0)
            if middle.astimezone(tz).utcoffset() == before:
                low = middle
            else:
                high = middle
        yield high, after - before


@cache
def odd_transitions() -> dict[str, tuple[tuple[datetime, timedelta], ...]]:
    """Zone -> its changes in YEARS (instant, shift) whose size is not one hour."""
    found: dict[str, tuple[tuple[datetime, timedelta], ...]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        changes = tuple(
            (at, shift) for at, shift in _day_offsets(zoneinfo.ZoneInfo(name)) if abs(shift) != HOUR
        )
        if changes:
            found[name] = changes
    return found


@dataclass(frozen=True)
class WallClock:
    """The brute-force map of local wall minutes around one change of offset."""

    first: dict[datetime, datetime]  # wall minute -> its first UTC instant
    gaps: list[tuple[datetime, datetime, timedelta]]  # [from, to) wall minutes, offset before
    offsets: frozenset[timedelta]

    @classmethod
    def walk(
        cls, tz: zoneinfo.ZoneInfo, start: datetime, end: datetime, margin: timedelta
    ) -> WallClock:
        """Every UTC minute from `margin` before `start` to `margin` after `end`."""
        walk_from = start - margin
        count = int((end + margin - walk_from) / MINUTE)
        instants = [walk_from + i * MINUTE for i in range(count)]
        walls = [u.astimezone(tz).replace(tzinfo=None) for u in instants]
        first: dict[datetime, datetime] = {}
        for instant, wall in zip(instants, walls, strict=True):
            first.setdefault(wall, instant)
        offsets = [wall - u.replace(tzinfo=None) for u, wall in zip(instants, walls, strict=True)]
        gaps = [
            (walls[i] + MINUTE, walls[i + 1], offsets[i])
            for i in range(len(walls) - 1)
            if walls[i + 1] - walls[i] > MINUTE
        ]
        return cls(first, gaps, frozenset(offsets))

    def instant(self, wall: datetime) -> datetime:
        """The contract's instant for a wall time: first occurrence, or moved by the gap."""
        if wall in self.first:
            return self.first[wall]
        (offset,) = [offset for low, high, offset in self.gaps if low <= wall < high]
        return (wall - offset).replace(tzinfo=UTC)


def reference_fires(expr: str, clock: WallClock, start: datetime, end: datetime) -> list[datetime]:
    """Every fire instant in (start, end]: croniter's matching wall minutes, placed by `clock`."""
    naive_start, naive_end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    matches = croniter(expr, naive_start + min(clock.offsets) - MINUTE, day_or=True)
    fires: set[datetime] = set()
    while (wall := matches.get_next(datetime)) <= naive_end + max(clock.offsets):
        fire = clock.instant(wall)
        if start < fire <= end:
            fires.add(fire)
    return sorted(fires)


def production_fires(
    expr: str, tz: zoneinfo.ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    fires: list[datetime] = []
    at = start
    while (nxt := next_cron_time(expr, at, tz)) is not None and nxt <= end:
        fires.append(nxt.astimezone(UTC))
        at = nxt
    return fires


def test_zones_with_odd_shifts_are_found_by_scanning() -> None:
    zones = odd_transitions()
    assert {"Australia/Lord_Howe", "Antarctica/Troll", "Pacific/Apia"} <= set(zones)
    assert len(zones["Australia/Lord_Howe"]) >= 2 * (len(YEARS) - 1)
    assert {abs(shift) for _at, shift in zones["Australia/Lord_Howe"]} == {timedelta(minutes=30)}


CHANGES = [
    pytest.param(name, change, shift, id=f"{name}-{change:%Y-%m-%dT%H:%M}")
    for name, changes in odd_transitions().items()
    for change, shift in changes
]


@pytest.mark.parametrize(("name", "change", "shift"), CHANGES)
def test_cron_fires_match_the_reference_around_an_odd_change(
    name: str, change: datetime, shift: timedelta
) -> None:
    tz = zoneinfo.ZoneInfo(name)
    # from before the change until the moved times and the day after have fired
    start, end = change - 3 * HOUR, change + abs(shift) + 3 * HOUR
    clock = WallClock.walk(tz, start, end, margin=abs(shift) + 2 * HOUR)
    for expr in EXPRESSIONS:
        expected = reference_fires(expr, clock, start, end)
        assert production_fires(expr, tz, start, end) == expected, expr


def test_lord_howe_fires_at_0240_on_the_day_clocks_go_forward() -> None:
    tz = zoneinfo.ZoneInfo("Australia/Lord_Howe")
    start = datetime(2026, 10, 3, 12, tzinfo=UTC)  # the change: 4 October 02:00 -> 02:30
    local = [
        f.astimezone(tz).strftime("%H:%M")
        for f in production_fires("*/20 2 * * *", tz, start, start + timedelta(hours=12))
    ]
    assert local == ["02:30", "02:40", "02:50"]


DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]  # 0..7
MONTH_NAMES = [
    "",
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
]


def _spelled(number: int, names: list[str], style: str) -> str:
    name = names[number]
    return {"number": str(number), "upper": name, "lower": name.lower(), "title": name.title()}[
        style
    ]


def _field(items: list[tuple[int, int]], names: list[str], styles: list[str]) -> str:
    parts = []
    for (first, last), style_a, style_b in zip(items, styles, styles[1:] + styles[:1], strict=True):
        low, high = sorted((first, last))
        high = 6 if (low, high) == (0, 7) else high  # `SUN-SUN` is Sunday, `0-7` every day
        a, b = _spelled(low, names, style_a), _spelled(high, names, style_b)
        parts.append(a if low == high else f"{a}-{b}")
    return ",".join(parts)


styles = st.lists(st.sampled_from(["number", "upper", "lower", "title"]), min_size=3, max_size=3)


@settings(max_examples=150, deadline=None)
@given(
    days=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), min_size=1, max_size=3),
    months=st.lists(st.tuples(st.integers(1, 12), st.integers(1, 12)), min_size=1, max_size=3),
    day_styles=styles,
    month_styles=styles,
    start=st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)),
)
def test_names_and_numbers_in_ranges_and_lists_fire_like_croniter(
    days: list[tuple[int, int]],
    months: list[tuple[int, int]],
    day_styles: list[str],
    month_styles: list[str],
    start: datetime,
) -> None:
    day_styles, month_styles = day_styles[: len(days)], month_styles[: len(months)]
    dow = _field(days, DAY_NAMES, day_styles)
    numeric = _field(days, DAY_NAMES, ["number"] * len(days))
    month = _field(months, MONTH_NAMES, month_styles)
    expr = f"30 9 * {month} {dow}"
    assert parse_cron(expr) == parse_cron(f"30 9 * {month} {numeric}")
    utc = zoneinfo.ZoneInfo("UTC")
    ours = next_cron_time(expr, start.replace(tzinfo=UTC), utc)
    theirs = croniter(f"30 9 * {month} {numeric}", start, day_or=True).get_next(datetime)
    assert ours is not None
    assert ours.replace(tzinfo=None) == theirs, expr


@pytest.mark.parametrize(
    ("names", "numbers"),
    [
        ("MON-SUN", "1-7"),
        ("mon-sun", "0-6"),
        ("Sat-Sun", "6,0"),
        ("SUN", "7"),
        ("SUN-SAT", "0-6"),
        ("SUN-SUN", "0"),
        ("MON,WED-FRI", "1,3-5"),
        ("MON-SUN/2", "1,3,5,7"),
    ],
)
def test_day_names_mean_what_the_numbers_mean(names: str, numbers: str) -> None:
    assert parse_cron(f"0 9 * * {names}") == parse_cron(f"0 9 * * {numbers}")


def test_month_names_in_ranges_are_accepted() -> None:
    assert parse_cron("0 9 1 JAN-DEC *") == parse_cron("0 9 1 1-12 *")
    assert parse_cron("0 9 1 jun-Aug *") == parse_cron("0 9 1 6-8 *")


@pytest.mark.parametrize("bad", ["0 9 * * FRI-MON", "0 9 * * MON-", "0 9 * * 8", "0 ٣ * * *"])
def test_backwards_ranges_and_strange_digits_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_cron(bad)

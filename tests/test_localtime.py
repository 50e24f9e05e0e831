"""Wall-clock rules: DST gaps and folds, calendar days, quiet hours, 29 February, cron."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from journey.clock import VirtualClock
from journey.localtime import (
    add_duration,
    local_time_on,
    next_cron_time,
    next_wall_time,
    parse_cron,
    parse_instant,
    quiet_until,
    resolve_zone,
    yearly_occurrence,
    zone,
)
from journey.model import Duration, QuietHours

STOCKHOLM = resolve_zone("Europe/Stockholm")
NEW_YORK = resolve_zone("America/New_York")


def at(text: str) -> datetime:
    return parse_instant(text)


def test_wait_1d_keeps_local_time_across_spring_forward() -> None:
    sent = at("2026-03-28T10:00:00+01:00")  # Saturday before the change
    later = add_duration(sent, Duration(calendar_days=1), STOCKHOLM)
    assert later == at("2026-03-29T10:00:00+02:00")
    assert later.astimezone(STOCKHOLM).hour == 10


def test_wait_1d_keeps_local_time_across_fall_back() -> None:
    sent = at("2026-10-24T10:00:00+02:00")
    later = add_duration(sent, Duration(calendar_days=1), STOCKHOLM)
    assert later == at("2026-10-25T10:00:00+01:00")
    assert later - sent == (at("2026-10-25T10:00:00+01:00") - sent)
    assert (later - sent).total_seconds() == 25 * 3600


def test_24h_is_elapsed_time_not_a_calendar_day() -> None:
    sent = at("2026-03-28T10:00:00+01:00")
    later = add_duration(sent, Duration(seconds=24 * 3600), STOCKHOLM)
    assert later.astimezone(STOCKHOLM).hour == 11


def test_calendar_days_apply_before_elapsed_hours() -> None:
    sent = at("2026-03-28T10:00:00+01:00")
    later = add_duration(sent, Duration(calendar_days=1, seconds=3600), STOCKHOLM)
    assert later == at("2026-03-29T11:00:00+02:00")


def test_nonexistent_local_time_moves_forward_by_the_gap() -> None:
    assert local_time_on(date(2026, 3, 29), "02:30", STOCKHOLM) == at("2026-03-29T03:30:00+02:00")
    assert local_time_on(date(2026, 3, 8), "02:15", NEW_YORK) == at("2026-03-08T03:15:00-04:00")


def test_ambiguous_local_time_takes_the_first_occurrence() -> None:
    assert local_time_on(date(2026, 10, 25), "02:30", STOCKHOLM) == at("2026-10-25T02:30:00+02:00")
    assert local_time_on(date(2026, 11, 1), "01:30", NEW_YORK) == at("2026-11-01T01:30:00-04:00")


def test_invalid_zone_falls_back_to_the_next_candidate() -> None:
    assert zone("Mars/Olympus") is None
    assert resolve_zone("Mars/Olympus", None, "Europe/Stockholm") is STOCKHOLM
    assert resolve_zone(None, "") == resolve_zone("UTC")


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        ("2026-03-23T08:00:00+01:00", "2026-03-23T09:30:00+01:00"),  # Monday before 09:30
        ("2026-03-23T09:30:00+01:00", "2026-03-23T09:30:00+01:00"),  # exactly: at once
        ("2026-03-23T09:31:00+01:00", "2026-03-24T09:30:00+01:00"),  # next day
        ("2026-03-27T10:00:00+01:00", "2026-03-30T09:30:00+02:00"),  # Fri -> Mon, across DST
    ],
)
def test_wait_until_earliest_matching_local_time(entered: str, expected: str) -> None:
    weekdays = ("mon", "tue", "wed", "thu", "fri")
    assert next_wall_time(at(entered), "09:30", weekdays, STOCKHOLM) == at(expected)


QUIET = QuietHours(start="21:00", end="08:00")


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-05-04T22:00:00+02:00", "2026-05-05T08:00:00+02:00"),
        ("2026-05-04T03:00:00+02:00", "2026-05-04T08:00:00+02:00"),
        ("2026-05-04T21:00:00+02:00", "2026-05-05T08:00:00+02:00"),  # start is inside
        ("2026-05-04T08:00:00+02:00", None),  # end is outside
        ("2026-05-04T12:00:00+02:00", None),
        ("2026-03-28T23:00:00+01:00", "2026-03-29T08:00:00+02:00"),  # across DST
    ],
)
def test_quiet_hours_span_midnight(instant: str, expected: str | None) -> None:
    result = quiet_until(at(instant), QUIET, STOCKHOLM)
    assert result == (at(expected) if expected else None)


def test_quiet_hours_within_one_day() -> None:
    lunch = QuietHours(start="12:00", end="13:00")
    assert quiet_until(at("2026-05-04T12:30:00Z"), lunch, resolve_zone("UTC")) == at(
        "2026-05-04T13:00:00Z"
    )
    assert quiet_until(at("2026-05-04T11:59:00Z"), lunch, resolve_zone("UTC")) is None


def test_29_february_becomes_28_february_in_common_years() -> None:
    assert yearly_occurrence(2, 29, 2027) == date(2027, 2, 28)
    assert yearly_occurrence(2, 29, 2028) == date(2028, 2, 29)
    assert yearly_occurrence(3, 1, 2027) == date(2027, 3, 1)


def test_cron_weekly_monday_morning_local() -> None:
    first = next_cron_time("0 9 * * MON", at("2026-03-25T12:00:00Z"), STOCKHOLM)
    assert first == at("2026-03-30T09:00:00+02:00")


@pytest.mark.parametrize("dow", ["0", "7", "SUN", "sun"])
def test_cron_sunday_is_0_7_and_sun(dow: str) -> None:
    result = next_cron_time(f"0 9 * * {dow}", at("2026-03-23T00:00:00Z"), resolve_zone("UTC"))
    assert result == at("2026-03-29T09:00:00Z")


def test_cron_either_day_field_fires_when_both_restricted() -> None:
    utc = resolve_zone("UTC")
    fires = []
    instant = at("2026-03-01T00:00:00Z")
    for _ in range(6):
        nxt = next_cron_time("0 8 1 * FRI", instant, utc)
        assert nxt is not None
        fires.append(nxt.date())
        instant = nxt
    # the 1st of the month OR a Friday: 1 Mar is a Sunday and 1 Apr a Wednesday
    assert fires == [date(2026, 3, d) for d in (1, 6, 13, 20, 27)] + [date(2026, 4, 1)]


def test_cron_ranges_steps_and_lists() -> None:
    spec = parse_cron("*/15 9-17/4 1,15 JAN-MAR MON-FRI")
    assert spec.minutes == (0, 15, 30, 45)
    assert spec.hours == (9, 13, 17)
    assert spec.days_of_month == {1, 15}
    assert spec.months == {1, 2, 3}
    assert spec.days_of_week == {1, 2, 3, 4, 5}


@pytest.mark.parametrize(
    "bad", ["* * * *", "60 * * * *", "* * * * MOO", "5-1 * * * *", "*/0 * * * *"]
)
def test_cron_rejects_bad_expressions(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_cron(bad)


def test_cron_in_the_spring_forward_gap_fires_after_the_gap() -> None:
    result = next_cron_time("30 2 * * *", at("2026-03-28T12:00:00Z"), STOCKHOLM)
    assert result == at("2026-03-29T03:30:00+02:00")


def test_cron_in_the_fall_back_fold_fires_once() -> None:
    first = next_cron_time("30 2 * * *", at("2026-10-24T12:00:00Z"), STOCKHOLM)
    assert first == at("2026-10-25T02:30:00+02:00")
    second = next_cron_time("30 2 * * *", first, STOCKHOLM)  # type: ignore[arg-type]
    assert second == at("2026-10-26T02:30:00+01:00")


def test_cron_29_february_only() -> None:
    result = next_cron_time("0 0 29 2 *", at("2026-03-01T00:00:00Z"), resolve_zone("UTC"))
    assert result == at("2028-02-29T00:00:00Z")
    assert next_cron_time("0 0 30 2 *", at("2026-03-01T00:00:00Z"), resolve_zone("UTC")) is None


def test_naive_instant_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse_instant("2026-03-01T10:00:00")


def test_virtual_clock_moves_only_forward() -> None:
    clock = VirtualClock(at("2026-01-01T00:00:00Z"))
    clock.advance_to(at("2026-01-02T00:00:00Z"))
    clock.advance_to(at("2026-01-01T00:00:00Z"))
    assert clock.now() == datetime(2026, 1, 2, tzinfo=UTC)

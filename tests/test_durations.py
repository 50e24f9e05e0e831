"""Durations: calendar days and elapsed seconds, as marketers write them."""

from __future__ import annotations

import pytest

from journey.durations import normalise_hhmm, parse_duration, parse_hhmm, uses_minutes


@pytest.mark.parametrize(
    ("text", "days", "seconds"),
    [("2d", 2, 0), ("1w", 7, 0), ("1d12h", 1, 43200), ("90m", 0, 5400), ("1w2d3h4m5s", 9, 11045)],
)
def test_valid_durations(text: str, days: int, seconds: int) -> None:
    parsed = parse_duration(text)
    assert (parsed.calendar_days, parsed.seconds) == (days, seconds)


@pytest.mark.parametrize("text", ["", "3", "d", "12h1d", "1d1d", "2 days", "-1d", "1.5d", "1y"])
def test_invalid_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_bare_number_says_a_unit_is_missing() -> None:
    with pytest.raises(ValueError, match="no unit"):
        parse_duration(3)


def test_negative_only_when_allowed() -> None:
    assert parse_duration("-7d", allow_negative=True).calendar_days == -7


def test_minutes_flagged() -> None:
    assert uses_minutes("3m") and not uses_minutes("3d")


def test_seven_days_equal_a_week() -> None:
    assert parse_duration("7d") == parse_duration("1w")


@pytest.mark.parametrize("text", ["25:00", "9.30", "09:60", "noon", ""])
def test_invalid_times(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hhmm(text)


def test_short_hour_is_normalised() -> None:
    assert normalise_hhmm("9:30") == "09:30"

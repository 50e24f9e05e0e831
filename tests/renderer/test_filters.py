"""Babel filters: the contact's full locale, the contact's zone, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from journey.renderer import Renderer
from tests.renderer.conftest import JOURNEY_LOCALES, context, make_contact


def formats(
    renderer: Renderer,
    locale: str,
    *,
    moment: datetime,
    timezone: str = "Europe/Stockholm",
    amount: float = 1234.5,
    currency: str = "USD",
    ratio: float = 0.25,
    now: datetime | None = None,
) -> dict[str, str]:
    message = renderer.render(
        template="formats",
        message="sms",
        contact=make_contact(locale, timezone=timezone),
        locales=JOURNEY_LOCALES,
        context=context(moment=moment, amount=amount, currency=currency, ratio=ratio),
        now=now or moment,
    )
    return dict(line.split("=", 1) for line in message.text.splitlines())


def test_spring_forward_in_stockholm_shows_winter_then_summer_time(renderer: Renderer) -> None:
    # 2026-03-29 01:00 UTC: Stockholm clocks jump from 02:00 to 03:00.
    before = formats(renderer, "sv_SE", moment=datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    after = formats(renderer, "sv_SE", moment=datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert before["time"] == "01:30 +01:00"
    assert after["time"] == "03:30 +02:00"
    assert before["full"] == "söndag 29 mars 2026 01:30:00 centraleuropeisk normaltid"
    assert after["full"] == "söndag 29 mars 2026 03:30:00 centraleuropeisk sommartid"


def test_fall_back_in_new_york_shows_both_one_thirties(renderer: Renderer) -> None:
    # 2026-11-01 06:00 UTC: New York clocks go back from 02:00 EDT to 01:00 EST.
    first = formats(
        renderer,
        "en_US",
        moment=datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        timezone="America/New_York",
    )
    second = formats(
        renderer,
        "en_US",
        moment=datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
        timezone="America/New_York",
    )
    assert (first["short"], first["time"]) == ("1:30\u202fAM", "01:30 -04:00")
    assert (second["short"], second["time"]) == ("1:30\u202fAM", "01:30 -05:00")
    assert first["full"].endswith("Eastern Daylight Time")
    assert second["full"].endswith("Eastern Standard Time")


def test_dates_are_taken_in_the_contacts_zone(renderer: Renderer) -> None:
    # 23:30 UTC on 31 Dec is already New Year's Day in Stockholm, still 31 Dec in New York.
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert formats(renderer, "en_GB", moment=late)["date"] == "1 Jan 2027"
    assert formats(renderer, "en_US", moment=late, timezone="America/New_York")["date"] == (
        "Dec 31, 2026"
    )


def test_contact_without_zone_uses_the_renderers_default(tmp_path: Any) -> None:
    from tests.renderer.conftest import LOCALES, TEMPLATES

    renderer = Renderer(TEMPLATES, LOCALES, default_timezone="Asia/Shanghai")
    result = formats(
        renderer, "zh_CN", moment=datetime(2026, 3, 29, 0, 30, tzinfo=UTC), timezone=None
    )
    assert result["time"] == "08:30 +08:00"


@pytest.mark.parametrize(
    ("locale", "currency", "money", "number", "percent"),
    [
        ("en_US", "USD", "$1,234.50", "1,234.5", "25%"),
        ("sv_SE", "SEK", "1\xa0234,50\xa0kr", "1\xa0234,5", "25\xa0%"),
        ("zh_CN", "CNY", "¥1,234.50", "1,234.5", "25%"),
        ("en_GB", "GBP", "£1,234.50", "1,234.5", "25%"),
        ("sv_SE", "EUR", "1\xa0234,50\xa0€", "1\xa0234,5", "25\xa0%"),
    ],
)
def test_numbers_and_currencies_follow_the_contacts_locale(
    renderer: Renderer, locale: str, currency: str, money: str, number: str, percent: str
) -> None:
    result = formats(
        renderer, locale, moment=datetime(2026, 5, 4, 12, tzinfo=UTC), currency=currency
    )
    assert result["money"].replace("\u202f", "\xa0") == money
    assert result["number"].replace("\u202f", "\xa0") == number
    assert result["percent"].replace("\u202f", "\xa0") == percent


@pytest.mark.parametrize(
    ("locale", "expected_date", "expected_long"),
    [
        ("en_US", "May 4, 2026", "May 4, 2026"),
        ("en_GB", "4 May 2026", "4 May 2026"),  # British order although the copy is `en`
        ("sv_SE", "4 maj 2026", "4 maj 2026"),
        ("zh_CN", "2026年5月4日", "2026年5月4日"),
    ],
)
def test_dates_follow_the_contacts_full_locale(
    renderer: Renderer, locale: str, expected_date: str, expected_long: str
) -> None:
    result = formats(renderer, locale, moment=datetime(2026, 5, 4, 12, tzinfo=UTC))
    assert result["date"] == expected_date
    assert result["long"] == expected_long


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en_US", "in 3 days"), ("sv_SE", "om 3 dagar"), ("zh_CN", "3天后")],
)
def test_relative_times_are_localized(renderer: Renderer, locale: str, expected: str) -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    result = formats(renderer, locale, moment=now + timedelta(days=3), now=now)
    assert result["relative"] == expected


def test_cached_wall_clock_times_equal_babel_across_zones_locales_and_dst() -> None:
    """format_time keys its cache by local wall-clock time: interleaving locales and
    zones around both DST changes of 2026 must still give Babel's own result."""
    from babel import dates

    from journey.renderer import filters, state
    from journey.renderer.locale import babel_locale
    from journey.renderer.render import _zone

    patterns = ["short", "medium", "long", "full", "h:mm a", "HH:mm:ss", "h:mm B", "HH:mm z"]
    people = [
        ("en_US", "America/New_York"),
        ("sv_SE", "Europe/Stockholm"),
        ("zh_CN", "Asia/Shanghai"),
        ("de_DE", "Europe/Berlin"),
        ("en_GB", "Europe/London"),
    ]
    starts = [datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 28, 23, tzinfo=UTC)]
    starts += [datetime(2026, 10, 25, 0, tzinfo=UTC), datetime(2026, 11, 1, 4, tzinfo=UTC)]
    moments = [s + timedelta(minutes=17 * i, seconds=i % 3 * 20) for s in starts for i in range(20)]
    for index, moment in enumerate(moments):
        for locale_name, zone_name in people[index % 5 :] + people[: index % 5]:
            locale, zone = babel_locale(locale_name), _zone(zone_name)
            assert zone is not None
            with state.active(state.RenderState(locale=locale, tz=zone)):
                for pattern in patterns:
                    expected = dates.format_time(moment, pattern, tzinfo=zone, locale=locale)
                    assert filters.format_time(moment, pattern) == expected, (moment, pattern)

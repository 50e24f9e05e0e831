"""Babel filters: the contact's full locale, the contact's zone, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel import dates, numbers

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


def babel_says(
    locale: str,
    *,
    moment: datetime,
    timezone: str = "Europe/Stockholm",
    amount: float = 1234.5,
    currency: str = "USD",
    ratio: float = 0.25,
    now: datetime | None = None,
) -> dict[str, str]:
    """What Babel itself prints for `formats`' lines in this locale and zone: the tests
    compare with it, never with CLDR's strings of the day (they change between releases)."""
    zone = ZoneInfo(timezone)
    day = moment.astimezone(zone).date()
    delta = moment - (now or moment)
    return {
        "date": dates.format_date(day, "medium", locale=locale),
        "long": dates.format_date(day, "long", locale=locale),
        "time": dates.format_time(moment, "HH:mm xxx", tzinfo=zone, locale=locale),
        "short": dates.format_time(moment, "short", tzinfo=zone, locale=locale),
        "full": dates.format_datetime(moment, "full", tzinfo=zone, locale=locale),
        "money": numbers.format_currency(amount, currency, locale=locale),
        "number": numbers.format_decimal(amount, locale=locale),
        "percent": numbers.format_percent(ratio, locale=locale),
        "relative": dates.format_timedelta(delta, add_direction=True, format="long", locale=locale),
    }


def test_spring_forward_in_stockholm_shows_winter_then_summer_time(renderer: Renderer) -> None:
    # 2026-03-29 01:00 UTC: Stockholm clocks jump from 02:00 to 03:00.
    moments = datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    stockholm = ZoneInfo("Europe/Stockholm")
    offsets = {m.astimezone(stockholm).utcoffset() for m in moments}
    assert len(offsets) == 2
    before, after = (formats(renderer, "sv_SE", moment=m) for m in moments)
    assert before == babel_says("sv_SE", moment=moments[0])
    assert after == babel_says("sv_SE", moment=moments[1])
    assert before["time"] != after["time"]
    assert before["full"] != after["full"]  # the zone's name changes with the offset


def test_fall_back_in_new_york_shows_both_one_thirties(renderer: Renderer) -> None:
    # 2026-11-01 06:00 UTC: New York clocks go back from 02:00 EDT to 01:00 EST.
    moments = datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    zone = "America/New_York"
    first, second = (formats(renderer, "en_US", moment=m, timezone=zone) for m in moments)
    assert first == babel_says("en_US", moment=moments[0], timezone=zone)
    assert second == babel_says("en_US", moment=moments[1], timezone=zone)
    assert first["short"] == second["short"]  # the same wall time twice ...
    assert first["time"] != second["time"]  # ... told apart by its offset
    assert first["full"] != second["full"]


def test_dates_are_taken_in_the_contacts_zone(renderer: Renderer) -> None:
    # 23:30 UTC on 31 Dec is already New Year's Day in Stockholm, still 31 Dec in New York.
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    in_stockholm = formats(renderer, "en_GB", moment=late)["date"]
    in_new_york = formats(renderer, "en_US", moment=late, timezone="America/New_York")["date"]
    assert in_stockholm == dates.format_date(date(2027, 1, 1), "medium", locale="en_GB")
    assert in_new_york == dates.format_date(date(2026, 12, 31), "medium", locale="en_US")


def test_contact_without_zone_uses_the_renderers_default(tmp_path: Any) -> None:
    from tests.renderer.conftest import LOCALES, TEMPLATES

    renderer = Renderer(TEMPLATES, LOCALES, default_timezone="Asia/Shanghai")
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    result = formats(renderer, "zh_CN", moment=moment, timezone=None)
    assert result == babel_says("zh_CN", moment=moment, timezone="Asia/Shanghai")
    assert result != babel_says("zh_CN", moment=moment, timezone="UTC")


@pytest.mark.parametrize(
    ("locale", "currency"),
    [("en_US", "USD"), ("sv_SE", "SEK"), ("zh_CN", "CNY"), ("en_GB", "GBP"), ("sv_SE", "EUR")],
)
def test_numbers_and_currencies_follow_the_contacts_locale(
    renderer: Renderer, locale: str, currency: str
) -> None:
    moment = datetime(2026, 5, 4, 12, tzinfo=UTC)
    result = formats(renderer, locale, moment=moment, currency=currency)
    expected = babel_says(locale, moment=moment, currency=currency)
    for line in ("money", "number", "percent"):
        assert result[line] == expected[line], line


@pytest.mark.parametrize("locale", ["en_US", "en_GB", "sv_SE", "zh_CN"])
def test_dates_follow_the_contacts_full_locale(renderer: Renderer, locale: str) -> None:
    # en_GB gets British order although the copy is `en`: the contact's full locale counts
    moment = datetime(2026, 5, 4, 12, tzinfo=UTC)
    result = formats(renderer, locale, moment=moment)
    expected = babel_says(locale, moment=moment)
    assert (result["date"], result["long"]) == (expected["date"], expected["long"])


def test_british_and_american_contacts_read_different_dates(renderer: Renderer) -> None:
    moment = datetime(2026, 5, 4, 12, tzinfo=UTC)
    british = formats(renderer, "en_GB", moment=moment)["date"]
    assert british != formats(renderer, "en_US", moment=moment)["date"]


@pytest.mark.parametrize("locale", ["en_US", "sv_SE", "zh_CN"])
def test_relative_times_are_localized(renderer: Renderer, locale: str) -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    result = formats(renderer, locale, moment=now + timedelta(days=3), now=now)
    expected = babel_says(locale, moment=now + timedelta(days=3), now=now)
    assert result["relative"] == expected["relative"]


def test_cached_wall_clock_times_equal_babel_across_zones_locales_and_dst() -> None:
    """format_time keys its cache by local wall-clock time: interleaving locales and
    zones around both DST changes of 2026 must still give Babel's own result."""
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

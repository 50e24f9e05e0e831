"""Babel-backed filters: dates and times in the contact's zone, numbers,
currencies, percentages and relative times in the contact's full locale.

They read the contact's settings from the active render state, so one set of
filters serves every render without re-binding.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import dates
from jinja2 import Undefined, pass_context

from journey.renderer import state
from journey.renderer.locale import locale_by_id
from journey.renderer.numberformat import Kind, number_format


def _as_datetime(value: Any, what: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{what}: {value!r} is not an ISO date-time") from exc
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    raise TypeError(f"{what} expects a date-time, got {type(value).__name__}")


def _as_date(value: Any) -> date:
    """A date as the contact sees it: date-times move into the contact's zone first."""
    if isinstance(value, datetime):
        return _as_datetime(value, "format_date").astimezone(state.current().tz).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return _as_datetime(value, "format_date").astimezone(state.current().tz).date()
    raise TypeError(f"format_date expects a date, got {type(value).__name__}")


def _as_number(value: Any, what: str) -> int | float | Decimal:
    if isinstance(value, bool):
        raise TypeError(f"{what} expects a number, got a boolean")
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation as exc:
            raise ValueError(f"{what}: {value!r} is not a number") from exc
    raise TypeError(f"{what} expects a number, got {type(value).__name__}")


# The caches below key on the locale's identifier (see locale.locale_id).
@functools.lru_cache(maxsize=4096)
def _date(day: date, format: str, locale: str) -> str:
    return str(dates.format_date(day, format, locale=locale_by_id(locale)))


def format_date(value: Any, format: str = "medium") -> str:
    # Most messages of a day show the same few dates: cached per (day, format, locale).
    return _date(_as_date(value), format, state.current().locale_id)


# Pattern fields whose output depends on the local hour and minute only (hours,
# minutes, AM/PM), and those that also read the second (seconds, day periods
# such as "midnight"). Zone, date and fraction fields are never keyed this way.
_HOUR_MINUTE_FIELDS = frozenset("hHkKma")
_SECOND_FIELDS = frozenset("sbB")
_PREDEFINED = ("full", "long", "medium", "short")


@functools.lru_cache(maxsize=256)
def _wall_clock_precision(format: str, locale: str) -> int:
    """2 when the pattern reads hour and minute, 3 when also the second, 0 when
    it reads anything else (then it is formatted by Babel every time)."""
    try:
        pattern = locale_by_id(locale).time_formats[format] if format in _PREDEFINED else format
        tokens = dates.tokenize_pattern(str(pattern))
    except Exception:  # Babel reports the bad pattern on the uncached path
        return 0
    letters = {field[0] for kind, field in tokens if kind == "field"}
    if letters <= _HOUR_MINUTE_FIELDS:
        return 2
    return 3 if letters <= _HOUR_MINUTE_FIELDS | _SECOND_FIELDS else 0


# A message shows the same time in its HTML and text parts, and sends repeat
# slots: for wall-clock-only patterns the result is keyed by the local time
# (after conversion into the contact's zone, so DST is already applied), the
# format and the locale.
@functools.lru_cache(maxsize=4096)
def _wall_clock(local: time, format: str, locale: str) -> str:
    return str(dates.format_time(local, format, locale=locale_by_id(locale)))


def format_time(value: Any, format: str = "short") -> str:
    current = state.current()
    moment = _as_datetime(value, "format_time")
    key = current.locale_id
    precision = _wall_clock_precision(format, key) if isinstance(format, str) else 0
    if precision:
        local = moment.astimezone(current.tz)
        second = local.second if precision == 3 else 0
        return _wall_clock(time(local.hour, local.minute, second), format, key)
    return str(dates.format_time(moment, format, tzinfo=current.tz, locale=current.locale))


def format_datetime(value: Any, format: str = "medium") -> str:
    current = state.current()
    moment = _as_datetime(value, "format_datetime")
    return str(dates.format_datetime(moment, format, tzinfo=current.tz, locale=current.locale))


# Prices, points thresholds and discounts repeat across contacts: remember recent
# results. The key carries the type so 1, 1.0 and Decimal("1.0") never share an
# entry. Misses go through a per-(kind, locale, currency) NumberFormat that gives
# Babel's result without Babel's per-call locale-data lookups.
@functools.lru_cache(maxsize=8192)
def _number(kind: Kind, locale: str, _type: str, number: Any, currency: str = "") -> str:
    return number_format(kind, locale_by_id(locale), currency).format(number)


def format_number(value: Any) -> str:
    number = _as_number(value, "format_number")
    return _number("decimal", state.current().locale_id, type(number).__name__, number)


def format_currency(value: Any, currency: str) -> str:
    if not isinstance(currency, str) or len(currency) != 3:
        raise ValueError(f"format_currency needs a 3-letter currency code, got {currency!r}")
    number = _as_number(value, "format_currency")
    locale = state.current().locale_id
    return _number("currency", locale, type(number).__name__, number, currency.upper())


def format_percent(value: Any) -> str:
    number = _as_number(value, "format_percent")
    return _number("percent", state.current().locale_id, type(number).__name__, number)


def format_relative(value: Any) -> str:
    """`in 3 days` / `2 hours ago`: a timedelta, or a date-time measured from `now`."""
    current = state.current()
    if isinstance(value, timedelta):
        delta = value
    else:
        if current.now is None:
            raise ValueError("format_relative needs the render time")
        delta = _as_datetime(value, "format_relative") - current.now
    return _relative(delta, current.locale_id)


# Sends follow the same schedule, so the same distances from the entry recur.
@functools.lru_cache(maxsize=4096)
def _relative(delta: timedelta, locale: str) -> str:
    return str(
        dates.format_timedelta(
            delta, add_direction=True, format="long", locale=locale_by_id(locale)
        )
    )


def _runtime_only(func: Callable[..., str]) -> Callable[..., str]:
    """Mark a filter as needing the render context, which stops Jinja from
    evaluating it at compile time with constant arguments (the locale and zone
    are only known per render)."""

    @pass_context
    @functools.wraps(func)
    def filter_at_render_time(_context: Any, *args: Any, **kwargs: Any) -> str:
        for value in (*args, *kwargs.values()):
            if isinstance(value, Undefined):  # report the missing name, not a type error
                value._fail_with_undefined_error()
        return func(*args, **kwargs)

    return filter_at_render_time


FILTERS: dict[str, Callable[..., str]] = {
    func.__name__: _runtime_only(func)
    for func in (
        format_date,
        format_time,
        format_datetime,
        format_number,
        format_currency,
        format_percent,
        format_relative,
    )
}

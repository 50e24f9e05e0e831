"""Local-time arithmetic on the runner's `now`, remembered per (now, rule, zone).

A claimed batch runs every enrollment at one `now`, and its contacts share a
few zones: the start of a frequency-cap window, the end of a wait, whether it
is quiet hours — the same answer for every contact of one zone. These are the
`journey.localtime` functions, remembered for the instants they were asked at.

Only an instant stamped `datetime.UTC` (the clock's, the store's) is
remembered: two such instants are equal exactly when they are the same
moment, whereas two stamped with one local zone compare equal on their wall
time, fold ignored (PEP 495), and could be two moments of a fall-back hour.
Every function here answers from the instant alone, so the remembered answer
is the one a new computation would give.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from journey.localtime import add_duration, next_wall_time, quiet_until, subtract_duration
from journey.model import Duration, QuietHours

Rule = TypeVar("Rule")
Answer = TypeVar("Answer")

# distinct (now, rule, zone) of one batch: a few zones times a plan's few durations
_SIZE = 1024


def _remembered(
    compute: Callable[[datetime, Rule, ZoneInfo], Answer],
) -> Callable[[datetime, Rule, ZoneInfo], Answer]:
    remembered = lru_cache(maxsize=_SIZE)(compute)

    def answer(instant: datetime, rule: Rule, zone: ZoneInfo) -> Answer:
        if instant.tzinfo is UTC:
            return remembered(instant, rule, zone)
        return compute(instant, rule, zone)

    answer.__doc__ = compute.__doc__
    return answer


window_start: Callable[[datetime, Duration, ZoneInfo], datetime] = _remembered(subtract_duration)
window_end: Callable[[datetime, Duration, ZoneInfo], datetime] = _remembered(add_duration)
quiet_end: Callable[[datetime, QuietHours, ZoneInfo], datetime | None] = _remembered(quiet_until)


def _next_wall_time(after: datetime, rule: tuple[str, tuple[str, ...]], zone: ZoneInfo) -> datetime:
    hhmm, days = rule
    return next_wall_time(after, hhmm, days, zone)


_wall_time = _remembered(_next_wall_time)


def wall_time_after(after: datetime, hhmm: str, days: tuple[str, ...], zone: ZoneInfo) -> datetime:
    """`next_wall_time`, remembered."""
    return _wall_time(after, (hhmm, days), zone)

"""Durations (`1d12h`) and wall-clock times (`09:30`) as the DSL writes them.

Parsing only: the arithmetic that applies a duration in a contact's zone lives
in ``localtime``.
"""

from __future__ import annotations

import re

from journey.model import Duration

_DURATION = re.compile(
    r"^(?P<sign>-)?(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$"
)
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MAX_DURATION_DAYS = 36_600  # a century; anything longer is a typo


def parse_duration(value: object, *, allow_negative: bool = False) -> Duration:
    """`1w2d3h4m5s` -> Duration; each unit at most once, largest first.

    Raises ValueError with a sentence a marketer can act on.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("a duration is text such as `2d`, `12h` or `1d12h`")
    if isinstance(value, (int, float)):
        raise ValueError(
            f"`{value}` has no unit; write e.g. `{value}d` (days), `{value}h` or `{value}m`"
        )
    text = value.strip()
    match = _DURATION.match(text)
    if not text or not match or text in ("-",) or not any(match.group(u) for u in "wdhms"):
        raise ValueError(
            f"`{value}` is not a duration; use units w d h m s, largest first, e.g. `1d12h`"
        )
    if match.group("sign") and not allow_negative:
        raise ValueError(f"`{value}` is negative; only an `offset` may be negative")
    sign = -1 if match.group("sign") else 1
    weeks, days, hours, minutes, seconds = (int(match.group(u) or 0) for u in "wdhms")
    calendar_days = weeks * 7 + days
    elapsed = hours * 3600 + minutes * 60 + seconds
    if calendar_days + elapsed // 86400 > MAX_DURATION_DAYS:
        raise ValueError(f"`{value}` is longer than a century")
    return Duration(calendar_days=sign * calendar_days, seconds=sign * elapsed, text=text)


def uses_minutes(value: str) -> bool:
    """True when a duration has an `m` unit (minutes, often meant as months)."""
    match = _DURATION.match(value.strip())
    return bool(match and match.group("m"))


def parse_hhmm(value: object) -> tuple[int, int]:
    """`09:30` (or `9:30`) -> (9, 30). Raises ValueError."""
    if not isinstance(value, str) or not _HHMM.match(value.strip()):
        raise ValueError(f'`{value}` is not a time of day; write it as HH:MM, e.g. "09:30"')
    hours, minutes = value.strip().split(":")
    return int(hours), int(minutes)


def normalise_hhmm(value: str) -> str:
    hours, minutes = parse_hhmm(value)
    return f"{hours:02d}:{minutes:02d}"

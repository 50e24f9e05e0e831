"""Instants as fixed-width UTC text: the one codec the engine's state and every store share.

Text order is time order, so stores can index and compare the text; the engine
keeps the same text in its own state. No dependency on the engine or a store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

__all__ = ["from_ts", "ts"]


def ts(value: datetime | None) -> str | None:
    """Fixed-width ISO text in UTC, so text order is time order."""
    if value is None:
        return None
    if value.tzinfo is UTC:
        return _utc_text(value)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


@lru_cache(maxsize=4096)
def _utc_text(value: datetime) -> str:
    """Cached: one step writes the same `now` into a dozen columns of several rows.

    A pure function of its argument (not a cache of stored data). Only for
    tzinfo=UTC: two such datetimes are equal exactly when their fields are,
    whereas zoned ones in a DST fold compare equal across the fold.
    """
    return value.isoformat(timespec="microseconds")


def from_ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)

"""When to try a failed delivery again, and when to give up on it (dead-letter).

Pure functions of (attempt, now, delivery key): the daemon stores the answer as
the delivery's next due time, so a restart resumes the same schedule. The
jitter comes from the delivery key, not a random generator, so retries of many
messages spread out after an outage yet a test can predict every instant. A
receiver that says when to come back (`Retry-After`) is believed, up to the cap.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from journey.errors import DeliveryError

DEFAULT_BASE = timedelta(seconds=30)
DEFAULT_CAP = timedelta(hours=1)
DEFAULT_MAX_ATTEMPTS = 8
# The delay is scaled into [1 - JITTER, 1]: never beyond the cap, never zero.
JITTER = 0.2
# A Retry-After beyond this is taken as this (the policy's cap bounds it anyway);
# it keeps an absurd number from overflowing timedelta.
_LONGEST_RETRY_AFTER = timedelta(days=365)


def jitter_fraction(delivery_key: str) -> float:
    """A stable number in [0, 1) per delivery key."""
    digest = hashlib.sha256(delivery_key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def backoff_delay(
    attempt: int,
    *,
    delivery_key: str = "",
    base: timedelta = DEFAULT_BASE,
    cap: timedelta = DEFAULT_CAP,
) -> timedelta:
    """Delay after the ``attempt``-th failure (1-based): base·2^(attempt-1), capped, jittered.

    The jitter factor is fixed per key, so delays never shrink as attempts grow.
    """
    if attempt < 1:
        raise ValueError("attempt counts failures so far and starts at 1")
    # Cap the exponent before multiplying: 2**attempt overflows timedelta long before 1h.
    doublings = min(attempt - 1, 62)
    raw = base.total_seconds() * (2.0**doublings)
    capped = min(raw, cap.total_seconds())
    factor = 1.0 - JITTER * jitter_fraction(delivery_key)
    return timedelta(seconds=capped * factor)


def next_retry_at(
    attempt: int,
    now: datetime,
    *,
    delivery_key: str = "",
    base: timedelta = DEFAULT_BASE,
    cap: timedelta = DEFAULT_CAP,
) -> datetime:
    """The instant to try again after the ``attempt``-th failure at ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now + backoff_delay(attempt, delivery_key=delivery_key, base=base, cap=cap)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """An HTTP `Retry-After` (delay-seconds or HTTP-date, RFC 9110 10.2.3) as a delay from `now`.

    None when absent or not understood, so the policy's own backoff applies; a
    date in the past is no delay at all.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(timedelta(seconds=int(value[:12])), _LONGEST_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110: HTTP-dates are in GMT
        when = when.replace(tzinfo=UTC)
    return min(max(when - now, timedelta(0)), _LONGEST_RETRY_AFTER)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Backoff settings plus the attempt budget before a delivery is dead-lettered."""

    base: timedelta = DEFAULT_BASE
    cap: timedelta = DEFAULT_CAP
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    def after_failure(
        self, *, attempt: int, now: datetime, error: DeliveryError, delivery_key: str
    ) -> datetime | None:
        """When to retry after failed attempt number ``attempt``; None means dead-letter.

        A receiver's `retry_after` replaces the backoff, never beyond the cap:
        it knows when it will be ready, but a day's wait is not ours to accept.
        """
        if error.permanent or attempt >= self.max_attempts:
            return None
        if error.retry_after is not None:
            if now.tzinfo is None:
                raise ValueError("now must be timezone-aware")
            return now + min(max(error.retry_after, timedelta(0)), self.cap)
        return next_retry_at(attempt, now, delivery_key=delivery_key, base=self.base, cap=self.cap)

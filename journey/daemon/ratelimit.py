"""Channel `rate_limit` (`50/s`, `600/m`, `1000/h`): a token bucket per channel.

The worker asks its bucket how many of a claimed batch may go now; the rest
stay pending with a later `next_attempt_at`, spaced at the channel's rate, so
they are claimed again on later ticks and nothing is lost. The bucket holds
one period's worth (50 for `50/s`) and starts full: a burst of that size is
allowed, then the refill rate governs. State lives in memory: a restarted
daemon starts with a full bucket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from journey.channels.settings import parse_rate  # the one parser; validation calls it too

__all__ = ["TokenBucket", "parse_rate"]


@dataclass(slots=True)
class TokenBucket:
    capacity: float
    per_second: float
    text: str = ""
    tokens: float = field(init=False)
    updated: datetime | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    @classmethod
    def from_text(cls, text: str) -> TokenBucket:
        count, seconds = parse_rate(text)
        return cls(capacity=float(count), per_second=count / seconds, text=text)

    def _refill(self, now: datetime) -> None:
        if self.updated is not None and now > self.updated:
            elapsed = (now - self.updated).total_seconds()
            self.tokens = min(self.capacity, self.tokens + elapsed * self.per_second)
        if self.updated is None or now > self.updated:
            self.updated = now

    def take(self, now: datetime, wanted: int) -> int:
        """How many of `wanted` may go at `now` (their tokens are spent)."""
        self._refill(now)
        allowed = min(wanted, int(self.tokens))
        self.tokens -= allowed
        return allowed

    def later(self, now: datetime, nth: int) -> datetime:
        """When the `nth` (0-based) message that did not fit now will have its token."""
        missing = nth + 1 - self.tokens
        return now + timedelta(seconds=max(missing, 0.0) / self.per_second)

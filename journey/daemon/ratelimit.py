"""Channel `rate_limit` (`50/s`, `600/m`, `1000/h`): a token bucket per channel, kept in the store.

The worker asks the channel's bucket how many of a claimed batch may go now;
the rest stay pending with a later `next_attempt_at`, spaced at the channel's
rate, so they are claimed again on later ticks and nothing is lost. The bucket
holds one period's worth (50 for `50/s`) and starts full: a burst of that size
is allowed, then the refill rate governs. Its tokens live in the store
(`StateStore.take_rate_tokens`), so every worker on one store spends from the
same bucket and a restarted daemon does not start with a fresh burst.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from journey.channels.settings import parse_rate  # the one parser; validation calls it too
from journey.store.abc import StateStore

__all__ = ["TokenBucket", "parse_rate"]


@dataclass(slots=True)
class TokenBucket:
    """One channel's rate; the tokens themselves are the store's."""

    capacity: float
    per_second: float
    text: str = ""
    tokens: float = field(init=False)  # what the last `take` left, for `later`

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    @classmethod
    def from_text(cls, text: str) -> TokenBucket:
        count, seconds = parse_rate(text)
        return cls(capacity=float(count), per_second=count / seconds, text=text)

    def take(self, store: StateStore, channel: str, now: datetime, wanted: int) -> int:
        """How many of `wanted` may go at `now` (their tokens are spent, for every worker)."""
        taken = store.take_rate_tokens(
            channel, capacity=self.capacity, per_second=self.per_second, now=now, wanted=wanted
        )
        self.tokens = taken.tokens_left
        return taken.allowed

    def later(self, now: datetime, nth: int) -> datetime:
        """When the `nth` (0-based) message that did not fit now will have its token."""
        missing = nth + 1 - self.tokens
        return now + timedelta(seconds=max(missing, 0.0) / self.per_second)

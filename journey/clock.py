"""Where "now" comes from: the real clock for the daemon, a virtual one for simulate and test.

Nothing else in the project reads the wall clock; the engine takes `now` as an
argument, and the shells (runner, daemon, CLI) ask a :class:`Clock`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock; the only code in the project that reads the wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class VirtualClock:
    """A clock that moves only when told, so a month of a journey runs in milliseconds."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a virtual clock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance_to(self, instant: datetime) -> None:
        """Move forward to `instant`; time never runs backwards."""
        if instant.tzinfo is None:
            raise ValueError("advance_to needs a timezone-aware instant")
        instant = instant.astimezone(UTC)
        if instant > self._now:
            self._now = instant

    def advance(self, delta: timedelta) -> None:
        self.advance_to(self._now + delta)

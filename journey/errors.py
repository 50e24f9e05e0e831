"""Locations, diagnostics, and the few exception types of the project.

Two kinds of trouble, never mixed:

* a problem in the user's files is a :class:`Diagnostic`; validation collects
  them all and reports them together;
* a failure of the environment (unreadable file, locked database, SMTP down) is
  a :class:`JourneyError` subclass; the CLI catches it at the boundary, prints
  one line and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """Where in a user's file something is; line and col are 1-based."""

    path: str
    line: int = 1
    col: int = 1
    json_path: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    """A problem found in a user's file, with a stable kebab-case code."""

    code: str
    message: str
    location: Location
    severity: Severity = "error"
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.col, self.code)


@dataclass(slots=True)
class Diagnostics:
    """A collector that passes append to; keeps one bad file from hiding another."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(
        self,
        code: str,
        message: str,
        location: Location,
        *,
        severity: Severity = "error",
        hint: str | None = None,
    ) -> None:
        self.items.append(
            Diagnostic(code=code, message=message, location=location, severity=severity, hint=hint)
        )

    def extend(self, more: list[Diagnostic]) -> None:
        self.items.extend(more)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)


class JourneyError(Exception):
    """Base of environment failures. Raised anywhere; caught by the CLI and the daemon."""


class UsageError(JourneyError):
    """The user asked for something that cannot be done (bad flag value, missing file).

    Raised by CLI helpers; the CLI exits 2.
    """


class InvalidInput(JourneyError):
    """Input that failed validation where only valid input can go on (e.g. `compile`).

    Carries the diagnostics so the caller can report them with locations.
    """

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


class StoreError(JourneyError):
    """The state store cannot be opened or written (locked, corrupt, wrong version)."""


class DeliveryError(JourneyError):
    """A channel failed to deliver. `permanent` tells retry from dead-letter.

    Raised by channels; caught by the delivery worker, which retries transient
    failures with backoff and dead-letters permanent ones. `retry_after` is set
    when the receiver said how long to wait (HTTP `Retry-After` on 429/503);
    the retry policy then waits that long instead of its own backoff.
    """

    def __init__(
        self, message: str, *, permanent: bool, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class UnknownOutcome(DeliveryError):
    """The peer received the whole message but its answer never came (dropped, timed out).

    It may or may not have accepted it. The worker stores the delivery as
    `uncertain` and resends it once, under the same Message-ID / Idempotency-Key.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False)


class DeliveryInterrupted(DeliveryError):
    """The daemon is stopping and aborted the exchange before the peer had the whole message.

    Not an attempt: the delivery stays as it was and is due again after restart.
    """

    def __init__(self, message: str = "delivery interrupted: the daemon is stopping") -> None:
        super().__init__(message, permanent=False)


class RenderError(JourneyError):
    """A template failed to render at run time (undefined variable, sandbox violation).

    The engine records the step `failed` and exits the contact with `error`.
    """


class ExpressionError(JourneyError):
    """An expression failed to evaluate at run time; handled like RenderError."""


class BudgetExceeded(JourneyError):
    """A template or expression went over its run-time budget (size, work or time).

    Raised inside a render or an evaluation (journey.budget); it surfaces as the
    RenderError or ExpressionError of that one message or contact, whose text
    starts with "over budget:".
    """

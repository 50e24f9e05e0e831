"""The plain, frozen data every stage passes along.

The compiler produces a :class:`Plan`; the engine reads plans, contacts and
events; the renderer produces :class:`Message`; channels deliver them. Times are
aware datetimes in UTC inside; only ``localtime`` and the renderer look at a
contact's zone. Contacts, events and messages live in journey.traffic and are
re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from journey.traffic import Contact as Contact
from journey.traffic import Event as Event
from journey.traffic import Message as Message

JourneyKind = Literal[
    "onboarding", "engagement", "churn_prevention", "reactivation", "referral", "loyalty"
]
JOURNEY_KINDS: tuple[str, ...] = get_args(JourneyKind)
RESERVED_EXIT_REASONS: frozenset[str] = frozenset(
    {
        "completed",
        "goal",
        "exit_when",
        "archived",
        "journey_removed",
        "step_removed",
        "contact_deleted",
        "error",
        "restarted",
    }
)
END = "end"  # the reserved step target that completes a journey
RESERVED_CONTACT_KEYS: frozenset[str] = frozenset(
    {"id", "email", "phone", "locale", "timezone", "created_at", "consent", "topics"}
)
MESSAGE_KINDS: tuple[str, ...] = ("email", "sms", "push")
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# --------------------------------------------------------------------------- time


@dataclass(frozen=True, slots=True, kw_only=True)
class Duration:
    """`1w2d3h`: calendar days (applied first, in the contact's zone) + elapsed seconds."""

    calendar_days: int = 0
    seconds: int = 0
    text: str = field(default="", compare=False)  # as written; `7d` and `1w` are equal

    @property
    def is_zero(self) -> bool:
        return self.calendar_days == 0 and self.seconds == 0

    def approx_seconds(self) -> int:
        """Length assuming 24h days; for windows and comparisons, never for scheduling."""
        return self.calendar_days * 86400 + self.seconds


# ----------------------------------------------------------------------- triggers


@dataclass(frozen=True, slots=True, kw_only=True)
class EventTrigger:
    event: str
    where: str | None = None
    kind: Literal["event"] = "event"


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentTrigger:
    condition: str
    include_existing: bool = False
    recheck: Duration = Duration(seconds=3600, text="1h")
    kind: Literal["segment"] = "segment"


@dataclass(frozen=True, slots=True, kw_only=True)
class DateTrigger:
    attribute: str
    offset: Duration = Duration()  # calendar days may be negative
    at: str = "09:00"
    repeat: Literal["yearly"] | None = None
    catch_up: Duration = Duration(seconds=86400, text="24h")
    kind: Literal["date"] = "date"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleTrigger:
    cron: str
    timezone: str | None = None  # "contact", an IANA zone, or None (the journey's zone)
    kind: Literal["schedule"] = "schedule"


@dataclass(frozen=True, slots=True, kw_only=True)
class InactivityTrigger:
    event: str
    for_: Duration
    kind: Literal["inactivity"] = "inactivity"


Trigger = EventTrigger | SegmentTrigger | DateTrigger | ScheduleTrigger | InactivityTrigger


# -------------------------------------------------------------------------- steps
# Every step knows its resolved successor: `next` is a step id or END. Targets in
# branch/split/wait_for are resolved too, so the engine never searches by position.


@dataclass(frozen=True, slots=True, kw_only=True)
class SendVariant:
    """One arm of a send's A/B test: its share, and what it changes in the template."""

    name: str
    weight: int
    subject: str | None = None  # replaces the template's subject (a Jinja template itself)
    vars: dict[str, Any] = field(default_factory=dict, hash=False)  # the template's `variant.vars`

    def as_context(self) -> dict[str, Any]:
        """What templates read as `variant`."""
        return {"name": self.name, "subject": self.subject, "vars": dict(self.vars)}


# `variant` in the templates of a send without variants
NO_VARIANT: dict[str, Any] = {"name": None, "subject": None, "vars": {}}


def variant_context(variant: SendVariant | None) -> dict[str, Any]:
    return variant.as_context() if variant is not None else dict(NO_VARIANT, vars={})


@dataclass(frozen=True, slots=True, kw_only=True)
class SendChannel:
    """A channel a send may fall back to, and what it carries."""

    channel: str
    message: Literal["email", "sms", "push"] = "email"


@dataclass(frozen=True, slots=True, kw_only=True)
class SendStep:
    id: str
    next: str
    channel: str  # the first channel of an ordered `channel: [...]` list
    template: str
    message: Literal["email", "sms", "push"] = "email"  # what the channel carries
    kind: Literal["send"] = "send"
    tracking: Literal[False] | None = None  # `tracking: false`: links stay as written
    fallback: tuple[SendChannel, ...] = ()  # the rest of the list, tried in order
    variants: tuple[SendVariant, ...] = ()
    topic: str | None = None  # a subscription topic from workspace.yaml

    @property
    def channels(self) -> tuple[SendChannel, ...]:
        """Every channel the send may go out on, in the order they are tried."""
        return (SendChannel(channel=self.channel, message=self.message), *self.fallback)


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitStep:
    id: str
    next: str
    duration: Duration
    kind: Literal["wait"] = "wait"


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitUntilStep:
    id: str
    next: str
    time: str  # "HH:MM", contact-local
    days: tuple[str, ...] = WEEKDAYS
    kind: Literal["wait_until"] = "wait_until"


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitForStep:
    id: str
    next: str  # where a matching event leads
    event: str
    timeout: Duration
    on_timeout: str  # where the timeout leads
    where: str | None = None
    as_name: str | None = None  # `as:` keeps the matching event as `events.<as_name>`
    kind: Literal["wait_for"] = "wait_for"


@dataclass(frozen=True, slots=True, kw_only=True)
class BranchArm:
    condition: str
    goto: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BranchStep:
    id: str
    next: str  # the `else` target, or the following step
    arms: tuple[BranchArm, ...]
    kind: Literal["branch"] = "branch"


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitArm:
    weight: int
    goto: str
    name: str  # the arm's `name`, else its `goto`


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoWinner:
    """A split's `auto_winner:`: once `after` has passed since its first entrant, or `sample`
    contacts entered it, compare the arms once; a winner takes every later entrant."""

    metric: str  # goal | conversion | clicked
    event: str | None = None  # the event of `conversion:<event>`
    after: Duration | None = None
    sample: int | None = None
    confidence: float = 0.95


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitStep:
    id: str
    next: str
    arms: tuple[SplitArm, ...]
    kind: Literal["split"] = "split"
    # left out of the plan's JSON when absent, so existing splits keep their plan hash
    auto_winner: AutoWinner | None = field(default=None, metadata={"omit_if_none": True})


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributeUpdate:
    attribute: str
    value: Any = None  # a literal (None deletes)
    expr: str | None = None  # or an expression evaluated at run time


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateStep:
    id: str
    next: str
    updates: tuple[AttributeUpdate, ...]
    kind: Literal["update"] = "update"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookStep:
    id: str
    next: str
    channel: str | None = None
    url: str | None = None
    path: str | None = None
    body: Any = None  # JSON-able; string leaves are Jinja templates
    on_failure: Literal["continue", "exit"] = "continue"
    kind: Literal["webhook"] = "webhook"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExitStep:
    id: str
    reason: str
    next: str = END
    kind: Literal["exit"] = "exit"


Step = (
    SendStep
    | WaitStep
    | WaitUntilStep
    | WaitForStep
    | BranchStep
    | SplitStep
    | UpdateStep
    | WebhookStep
    | ExitStep
)
STEP_KINDS: tuple[str, ...] = (
    "send",
    "wait",
    "wait_until",
    "wait_for",
    "branch",
    "split",
    "update",
    "webhook",
    "exit",
)


# ------------------------------------------------------------------ journey rules


@dataclass(frozen=True, slots=True, kw_only=True)
class ExitCondition:
    """One `exit_when` item: an event (optionally filtered) or an expression."""

    event: str | None = None
    where: str | None = None
    expression: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Goal:
    event: str
    within: Duration
    where: str | None = None
    exit: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class QuietHours:
    start: str  # "HH:MM" contact-local; [start, end), spans midnight when start > end
    end: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FrequencyCap:
    max: int
    per: Duration
    on_cap: Literal["skip", "defer"] = "skip"
    max_defer: Duration = Duration(calendar_days=3, text="3d")


Reentry = Literal["never", "always"] | Duration
# What a trigger that fires while the contact is enrolled does (`retrigger:`).
Retrigger = Literal["ignore", "restart", "refresh"]
RETRIGGER_POLICIES: tuple[str, ...] = ("ignore", "restart", "refresh")


@dataclass(frozen=True, slots=True, kw_only=True)
class LatestEvent:
    """`latest_events: {name: event}`: the contact's latest `event`, read as `events.<name>`."""

    name: str
    event: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """A compiled journey: what the engine runs. `plan_hash` names this version.

    `quiet_hours`/`frequency_cap` are None when the journey says nothing (the
    workspace's apply) and False when the journey turns them off.
    """

    journey_id: str
    name: str
    kind: str
    category: Literal["marketing", "transactional"] = "marketing"
    status: Literal["active", "paused", "archived"] = "active"
    description: str = ""
    owner: str = ""
    locales: tuple[str, ...] = ("en",)
    timezone: str | None = None
    trigger: Trigger
    audience: str | None = None
    reentry: Reentry = "never"
    retrigger: Retrigger = "ignore"
    latest_events: tuple[LatestEvent, ...] = ()
    exit_when: tuple[ExitCondition, ...] = ()
    goal: Goal | None = None
    quiet_hours: QuietHours | Literal[False] | None = None
    frequency_cap: FrequencyCap | Literal[False] | None = None
    max_trigger_age: Duration = Duration(seconds=86400, text="24h")
    on_change: Literal["keep", "migrate"] = "keep"
    steps: tuple[Step, ...]
    tracking: Literal[False] | None = None  # `tracking: false`: no tracked links or pixel
    plan_hash: str = ""
    source: str = ""  # the journey file's path, for messages only

    @property
    def first_step(self) -> str:
        return self.steps[0].id if self.steps else END

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


# ---------------------------------------------------------------------- workspace


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    name: str
    kind: Literal["smtp", "webhook", "outbox"]
    message: Literal["email", "sms", "push", "webhook"] = "email"
    settings: dict[str, Any] = field(default_factory=dict)  # `${ENV}` still unexpanded
    rate_limit: str | None = None

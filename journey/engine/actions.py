"""What the engine asks the shell to do; the shell performs, the engine never does I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from journey.engine.state import Enrollment, StepOutcome
from journey.model import Contact, SendStep, SendVariant, WebhookStep
from journey.slotted import quick_init


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    """Render the step's template and write a pending delivery under `delivery_key`."""

    step: SendStep  # on the channel chosen for the contact
    delivery_key: str
    variant: SendVariant | None = None  # the contact's variant, when the step has some
    detail: str = ""  # the channels passed over on the way to this one
    # what the template reads as `events` (latest and kept events) at the moment of the step
    events: Mapping[str, Any] = field(default_factory=dict, hash=False)


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SkipSend:
    """Record a send that did not go out (`suppressed` or `capped`) under its key."""

    step: SendStep
    delivery_key: str
    reason: str
    detail: str = ""  # why: "no sms consent", "unsubscribed from product_news"


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class CallWebhook:
    step: WebhookStep
    delivery_key: str
    events: Mapping[str, Any] = field(default_factory=dict, hash=False)  # as Send's


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """A line of step history."""

    step_id: str
    outcome: StepOutcome
    detail: str = ""


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Exit:
    reason: str


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Convert:
    at: datetime


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Enter:
    """A new enrollment was created (by a trigger)."""

    entry_name: str


Action = Send | SkipSend | CallWebhook | Record | Exit | Convert | Enter


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """The new enrollment, the contact if a step changed it, and what to perform."""

    enrollment: Enrollment
    actions: tuple[Action, ...] = ()
    contact: Contact | None = None  # set when an update step changed the contact

    @property
    def changed(self) -> bool:
        return bool(self.actions) or self.contact is not None

"""The plain records results are computed from: what each enrollment did, what each message did.

A message is one delivery row; its `message_id` (the delivery key) is what a
tracked click or open will carry back, so engagement can be credited to the
same journey, step and arm as the send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class EnrollmentOutcome:
    """One enrollment as the results see it: entry, conversion, exit, arms and steps reached."""

    enrollment_id: str
    journey_id: str
    contact_id: str
    entered_at: datetime
    converted_at: datetime | None = None
    status: str = "active"
    exit_reason: str | None = None
    arms: dict[str, str] = field(default_factory=dict)  # split step id -> arm name
    reached: dict[str, datetime] = field(default_factory=dict)  # step id -> first entered


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageTouch:
    """One message (or webhook call) of a journey step to a contact."""

    message_id: str  # the delivery key
    enrollment_id: str
    journey_id: str
    step_id: str
    contact_id: str
    channel: str
    kind: str  # email | sms | push | webhook
    category: str  # marketing | transactional
    status: str
    created_at: datetime
    sent_at: datetime | None = None

    @property
    def reached_contact(self) -> bool:
        """A message that went out (webhook calls are not messages)."""
        return self.status == "sent" and self.kind != "webhook" and self.sent_at is not None

"""The plain records results are computed from: what each enrollment did, what each message did.

A message is one delivery row; its `message_id` (the delivery key) is what a
tracked click or open will carry back, so engagement can be credited to the
same journey, step and arm as the send.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# What both stores select for a message, in this order (see touch_from_row).
TOUCH_COLUMNS = (
    "delivery_key, enrollment_id, journey_id, step_id, contact_id, channel, kind,"
    " category, status, created_at, sent_at"
)


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


def touch_from_row(
    row: Sequence[Any],
    instant: Callable[[Any], datetime],
    maybe_instant: Callable[[Any], datetime | None],
) -> MessageTouch:
    """A row of TOUCH_COLUMNS; each store says how its instants are read."""
    return MessageTouch(
        message_id=row[0],
        enrollment_id=row[1],
        journey_id=row[2],
        step_id=row[3],
        contact_id=row[4],
        channel=row[5],
        kind=row[6],
        category=row[7],
        status=row[8],
        created_at=instant(row[9]),
        sent_at=maybe_instant(row[10]),
    )

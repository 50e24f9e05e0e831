"""What flows through a running journey: contacts and events in, messages out.

Plain frozen data, as in journey.model (which re-exports these names, since
nearly every stage reads them from there).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from journey.slotted import quick_init

# --------------------------------------------------------------- contacts, events


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    id: str
    email: str | None = None
    phone: str | None = None
    locale: str | None = None
    timezone: str | None = None
    created_at: datetime | None = None
    consent: dict[str, bool] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    # topic -> message kind (email, sms, push) -> opted in; unset: the topic's default
    topics: dict[str, dict[str, bool]] = field(default_factory=dict)

    def has_consent(self, channel_message: str) -> bool:
        return bool(self.consent.get(channel_message, False))

    def subscribed(self, topic: str, channel_message: str, default: bool = True) -> bool:
        """Whether the contact takes `topic` on this kind of message."""
        return bool(self.topics.get(topic, {}).get(channel_message, default))

    def as_values(self, declared: Iterable[str] = ()) -> dict[str, Any]:
        """The contact as expressions and templates read it: attributes, reserved
        keys, and declared attributes the contact lacks as none."""
        values: dict[str, Any] = dict.fromkeys(declared)
        values.update(self.attributes)
        values.update(
            id=self.id,
            email=self.email,
            phone=self.phone,
            locale=self.locale,
            timezone=self.timezone,
            created_at=self.created_at,
            consent=dict(self.consent),
            topics={t: dict(kinds) for t, kinds in self.topics.items()},
        )
        return values


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    id: str
    name: str
    contact_id: str
    timestamp: datetime
    properties: dict[str, Any] = field(default_factory=dict)
    received_at: datetime | None = None


# ------------------------------------------------------------------------ messages


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A rendered message, ready for a channel. `delivery_key` makes resends recognisable."""

    delivery_key: str
    channel: str
    message: Literal["email", "sms", "push"]
    to: str
    locale: str
    subject: str | None = None
    preheader: str | None = None
    text: str = ""
    html: str | None = None
    title: str | None = None  # push
    headers: dict[str, str] = field(default_factory=dict)
    journey_id: str = ""
    step_id: str = ""
    contact_id: str = ""
    # The one-click link the body was rendered with; List-Unsubscribe carries the same.
    unsubscribe_url: str = ""
    # The targets of its tracked links ({"url", "label"}), by the index their tokens carry.
    tracked_links: list[dict[str, str]] = field(default_factory=list)
    variant: str = ""  # the send's variant it carries; empty: the send has none

"""A delivery's outcome events (`journey.sent`, `journey.failed`): one builder, every shell."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from journey.engine.state import DeliveryRecord
from journey.model import Event


def outcome_event(name: str, record: DeliveryRecord, now: datetime, error: str = "") -> Event:
    """`journey.sent` / `journey.failed`, with an id derived from the key (stored once)."""
    properties: dict[str, Any] = {
        "journey_id": record.journey_id,
        "step_id": record.step_id,
        "delivery_key": record.delivery_key,
        "channel": record.channel,
    }
    if error:
        properties["error"] = error
    return Event(
        id=f"{name}:{record.delivery_key}",
        name=name,
        contact_id=record.contact_id,
        timestamp=now,
        properties=properties,
        received_at=now,
    )

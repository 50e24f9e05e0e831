"""Records for the contract suite: a contact, an enrollment, a delivery, at fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from journey.model import Contact, Event
from journey.records import DeliveryRecord, Enrollment, Entry

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def contact(
    contact_id: str = "c1",
    *,
    consent: dict[str, bool] | None = None,
    attributes: dict[str, object] | None = None,
) -> Contact:
    return Contact(
        id=contact_id,
        email=f"{contact_id}@example.com",
        created_at=T0,
        consent=consent or {},
        attributes=attributes or {},
    )


def event(
    event_id: str, *, contact_id: str = "c1", name: str = "opened", at: datetime = T0
) -> Event:
    return Event(id=event_id, name=name, contact_id=contact_id, timestamp=at, received_at=at)


def enrollment(
    contact_id: str = "c1", *, journey: str = "j1", number: int = 1, due: datetime | None = T0
) -> Enrollment:
    return Enrollment(
        id=f"{journey}:{contact_id}:{number}",
        journey_id=journey,
        contact_id=contact_id,
        plan_hash="h",
        entered_at=T0,
        entry=Entry(name="signed_up", timestamp=T0, properties={"plan": "trial"}),
        step_id="welcome",
        step_entered_at=T0,
        due_at=due,
        visits={"welcome": 1},
    )


def delivery(key: str, *, contact_id: str = "c1", due: datetime = T0) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_key=key,
        enrollment_id=f"j1:{contact_id}:1",
        journey_id="j1",
        step_id="welcome",
        contact_id=contact_id,
        channel="email",
        kind="email",
        category="marketing",
        payload={"subject": "Hi"},
        created_at=due,
        next_attempt_at=due,
    )

"""PostgreSQL rows -> records: instants arrive as datetimes, JSON columns already parsed.

Writes use `journey.store.codec`'s rows (UTC text, JSON text): PostgreSQL
casts them to the columns' types, so both stores store the same values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from journey.model import Contact, Event
from journey.records import DeliveryRecord, Enrollment, JourneyState, Lease, TriggerState
from journey.store import codec
from journey.store.codec import from_ts


def utc(value: datetime | None) -> datetime | None:
    """The instant with tzinfo UTC, whatever the session's time zone."""
    if value is None:
        return None
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def instant(value: datetime) -> datetime:
    found = utc(value)
    assert found is not None
    return found


def qualified(alias: str, columns: str) -> str:
    """`a, b` as `alias.a, alias.b` (RETURNING after a join names the table)."""
    return ", ".join(f"{alias}.{name.strip()}" for name in columns.split(","))


def lease_from_row(row: tuple[Any, ...]) -> Lease:
    """The three `codec.CLAIM_COLUMNS` (holder, epoch, expiry) at the end of a claimed row."""
    return Lease(worker=row[-3], epoch=int(row[-2]), expires_at=instant(row[-1]))


def contact_from_row(row: tuple[Any, ...]) -> Contact:
    return Contact(
        id=row[0],
        email=row[1],
        phone=row[2],
        locale=row[3],
        timezone=row[4],
        created_at=utc(row[5]),
        consent=row[6],
        attributes=row[7],
        topics=row[8],
    )


def event_from_row(row: tuple[Any, ...]) -> Event:
    """A row of `SELECT id, contact_id, name, timestamp, received_at, properties`."""
    return Event(
        id=row[0],
        contact_id=row[1],
        name=row[2],
        timestamp=instant(row[3]),
        received_at=utc(row[4]),
        properties=row[5],
    )


def enrollment_from_row(row: tuple[Any, ...], lease: Lease | None = None) -> Enrollment:
    entry, state = row[9], row[14]
    return Enrollment(
        id=row[0],
        journey_id=row[1],
        contact_id=row[2],
        plan_hash=row[3],
        status=row[4],
        step_id=row[5],
        step_entered_at=instant(row[6]),
        due_at=utc(row[7]),
        entered_at=instant(row[8]),
        entry=codec.entry_from_json(entry),
        split_arm=row[10],
        exit_reason=row[11],
        exited_at=utc(row[12]),
        converted_at=utc(row[13]),
        phase=state.get("phase", "enter"),
        visits=state.get("visits") or {},
        defer_since=from_ts(state.get("defer_since")),
        arms=state.get("arms") or {},
        events=codec.kept_events(state),
        lease=lease,
    )


def delivery_from_row(row: tuple[Any, ...], lease: Lease | None = None) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_key=row[0],
        enrollment_id=row[1],
        journey_id=row[2],
        step_id=row[3],
        contact_id=row[4],
        channel=row[5],
        kind=row[6],
        category=row[7],
        payload=row[8],
        status=row[9],
        attempts=row[10],
        created_at=instant(row[11]),
        next_attempt_at=utc(row[12]),
        last_error=row[13],
        sent_at=utc(row[14]),
        lease=lease,
    )


def trigger_from_row(row: tuple[Any, ...], lease: Lease | None = None) -> TriggerState:
    return TriggerState(
        journey_id=row[0],
        contact_id=row[1],
        next_fire_at=utc(row[2]),
        last_fired_at=utc(row[3]),
        segment_match=row[4],
        lease=lease,
    )


def journey_state_from_row(row: tuple[Any, ...]) -> JourneyState:
    """A row of `journey_state_rows.JOURNEY_STATE_COLUMNS`."""
    return JourneyState(
        journey_id=row[0],
        trigger=row[1],
        activated_at=utc(row[2]),
        next_fire_at=utc(row[3]),
        last_fired_at=utc(row[4]),
        trigger_hash=row[5],
    )

"""A claimed enrollment reads its entry as the store holds it, at every claim of its steps."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from zoneinfo import ZoneInfo

from journey.records import Entry
from journey.store.abc import StateStore
from tests.store.contract.records import MINUTE, T0, enrollment


def test_every_claim_reads_the_entry_as_stored_and_a_refreshed_one_when_it_changes(
    store: StateStore,
) -> None:
    # what enrolled the contact, as the event came in: a local time and a tuple
    arrived = Entry(
        name="signed_up",
        timestamp=T0.astimezone(ZoneInfo("Europe/Stockholm")),
        properties={"plan": "trial", "tags": ("new", "web")},
    )
    stored = Entry(
        name="signed_up", timestamp=T0, properties={"plan": "trial", "tags": ["new", "web"]}
    )
    store.insert_enrollment(replace(enrollment(), entry=arrived))
    for step in range(3):  # one claim per step, each saved due again a minute later
        now = T0 + step * MINUTE
        [claimed] = store.claim_due_enrollments(now, 10, worker="w", lease_until=now + MINUTE)
        assert claimed.entry == stored
        assert claimed.entry.timestamp.tzinfo is UTC
        store.save_enrollment(replace(claimed, due_at=now + MINUTE))
    refreshed = Entry(name="signed_up", timestamp=T0 + 2 * MINUTE, properties={"plan": "pro"})
    [claimed] = store.claim_due_enrollments(
        T0 + 3 * MINUTE, 10, worker="w", lease_until=T0 + 4 * MINUTE
    )
    store.save_enrollment(replace(claimed, entry=refreshed, due_at=T0 + 4 * MINUTE))
    [again] = store.claim_due_enrollments(
        T0 + 4 * MINUTE, 10, worker="w", lease_until=T0 + 5 * MINUTE
    )
    assert again.entry == refreshed
    assert store.get_enrollment(again.id) == replace(again, lease=None)

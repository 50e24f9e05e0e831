"""One inbox batch, one transaction: events of the same contact still see each other's effects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from journey.daemon import inbox
from journey.ingest import parse_event
from tests.daemon.conftest import DaemonHarness
from tests.daemon.workspace_factory import contacts, make_workspace

REENTER_ALWAYS = """\
id: again
name: Every sign-up
kind: onboarding
trigger: { event: signed_up }
reentry: always
quiet_hours: false
frequency_cap: false
steps:
  - id: welcome
    send: { channel: email, template: test/welcome }
"""


def two_contacts(tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]) -> DaemonHarness:
    """A daemon whose one journey re-enters on every sign-up, with contacts c00000, c00001."""
    root = make_workspace(tmp_path / "ws")
    (root / "journeys" / "welcome-test.yaml").unlink()
    (root / "journeys" / "again.yaml").write_text(REENTER_ALWAYS)
    harness = harness_factory(root)
    inbox.enqueue_contacts(harness.store, contacts(2), harness.clock.now())
    return harness


def test_a_contact_signing_up_twice_in_one_batch_is_enrolled_twice_in_order(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    harness = two_contacts(tmp_path, harness_factory)
    now = harness.clock.now()
    records = [
        {"id": "a", "name": "signed_up", "contact_id": "c00000", "timestamp": now.isoformat()},
        {"id": "b", "name": "signed_up", "contact_id": "c00001", "timestamp": now.isoformat()},
        {"id": "c", "name": "signed_up", "contact_id": "c00000", "timestamp": now.isoformat()},
        {"id": "a", "name": "signed_up", "contact_id": "c00000", "timestamp": now.isoformat()},
    ]
    events = [parse_event(r, received_at=now) for r in records]
    inbox.enqueue_events(harness.store, events, now)
    harness.daemon.tick()

    rows = harness.store._conn.execute(
        "SELECT id, status FROM enrollments ORDER BY rowid"
    ).fetchall()
    assert rows == [
        ("again:c00000:1", "exited"),
        ("again:c00001:1", "exited"),
        ("again:c00000:2", "exited"),
    ]
    (sent,) = harness.store._conn.execute(
        "SELECT COUNT(*) FROM deliveries WHERE status = 'sent'"
    ).fetchone()
    assert sent == 3
    assert len(harness.logs("enrolled")) == 3


def test_an_item_failing_half_way_leaves_no_half_journey_and_keeps_its_event(
    tmp_path: Path,
    harness_factory: Callable[[Path], DaemonHarness],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    harness = two_contacts(tmp_path, harness_factory)
    now = harness.clock.now()
    store = harness.store
    real_add_delivery = store.add_delivery

    def faulty_add_delivery(record: Any) -> bool:  # a fault after the enrollment was written
        if record.contact_id == "c00001":
            raise RuntimeError("disk hiccup")
        return real_add_delivery(record)

    monkeypatch.setattr(store, "add_delivery", faulty_add_delivery)
    records = [
        {"id": "a", "name": "signed_up", "contact_id": "c00000", "timestamp": now.isoformat()},
        {"id": "b", "name": "signed_up", "contact_id": "c00001", "timestamp": now.isoformat()},
    ]
    inbox.enqueue_events(store, [parse_event(r, received_at=now) for r in records], now)
    harness.daemon.tick()

    enrollments = store._conn.execute("SELECT id FROM enrollments ORDER BY rowid").fetchall()
    assert enrollments == [("again:c00000:1",)]  # nothing half-done for c00001
    assert store.known_event_ids(["a", "b"]) == {"a", "b"}  # b is kept as history
    assert store.inbox_size() == 0
    (error,) = harness.logs("error")
    assert "disk hiccup" in error and '"kept": true' in error

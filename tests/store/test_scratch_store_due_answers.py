"""A simulation's scratch store answers `next_due_at` and `inbox_size` from what it last
read while it wrote nothing they depend on, across transactions (it is the file's only
writer); every write, rollback and erasure shows in the next answer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from journey.assembly import scratch_store
from journey.model import Contact
from tests.store.contract.records import T0, delivery, enrollment, event


def test_a_scratch_store_answers_after_every_kind_of_write(tmp_path: Path) -> None:
    store = scratch_store(tmp_path / "simulation.db")
    try:
        assert store.next_due_at(["j1"]) is None
        store.put_contact(Contact(id="c1", email="c1@example.com"))
        store.insert_enrollment(enrollment(due=T0 + timedelta(hours=3)))
        assert store.next_due_at(["j1"]) == T0 + timedelta(hours=3)
        for number in range(3):  # events alone change no answer
            store.add_event(event(f"e{number}", at=T0 + timedelta(minutes=number)))
        store.add_events([event("e9")])
        assert store.next_due_at(["j1"]) == T0 + timedelta(hours=3)
        store.add_delivery(delivery("k1", due=T0 + timedelta(hours=1)))
        assert store.next_due_at(["j1"]) == T0 + timedelta(hours=1)
        store.mark_sent([("k1", 1)], T0)
        assert store.next_due_at(["j1"]) == T0 + timedelta(hours=3)

        try:
            with store.transaction():
                store.save_enrollment(enrollment(due=T0))
                assert store.next_due_at(["j1"]) == T0
                store.enqueue([("event", {"id": "e5"})], T0)
                assert store.inbox_size() == 1
                raise RuntimeError("undone")
        except RuntimeError:
            pass
        assert store.next_due_at(["j1"]) == T0 + timedelta(hours=3)
        assert store.inbox_size() == 0

        assert store.delete_contact("c1")  # erasure removes the contact's enrollment
        assert store.next_due_at(["j1"]) is None
    finally:
        store.close()

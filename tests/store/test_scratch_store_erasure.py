"""A simulation's scratch store skips the tombstone lookup while nobody was erased;
once somebody is, they stay erased there as in any store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from journey.assembly import scratch_store
from journey.model import Contact, Event
from journey.store.sqlite_erasure import ContactErased

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _event(number: int, contact_id: str) -> Event:
    return Event(id=f"e{number}", name="signed_up", contact_id=contact_id, timestamp=NOW)


def test_an_erased_contact_stays_erased_in_a_scratch_store(tmp_path: Path) -> None:
    store = scratch_store(tmp_path / "simulation.db")
    try:
        store.put_contacts([Contact(id="ana", email="ana@example.com")])
        assert store.add_event(_event(1, "ana"))
        assert store.erased_among(["ana", "bo"]) == set()

        assert store.delete_contact("ana")

        assert store.erased_among(["ana", "bo"]) == {"ana"}
        assert not store.add_event(_event(2, "ana"))
        with pytest.raises(ContactErased):
            store.put_contact(Contact(id="ana", email="ana@example.com"))
        with pytest.raises(ContactErased):
            store.put_contacts([Contact(id="cy"), Contact(id="ana")])
        assert store.get_contact("cy") is None  # refused before any was written
        store.put_contact(Contact(id="bo"))  # others are not affected
    finally:
        store.close()

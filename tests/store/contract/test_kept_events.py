"""An enrollment keeps the events its waits matched, and a refreshed entry, across a reopen."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from journey.records import Entry
from tests.store.contract.conftest import OpenStores
from tests.store.contract.records import T0, enrollment


def test_events_kept_by_a_wait_survive_closing_the_store(store_factory: OpenStores) -> None:
    store = store_factory()
    started = enrollment()
    store.insert_enrollment(started)
    survey = Entry(
        name="survey_completed",
        timestamp=T0 + timedelta(days=2),
        properties={"score": 9, "comment": "Lovely"},
    )
    store.save_enrollment(replace(started, events={"survey": survey}, step_id="thanks"))
    store.close()

    reopened = store_factory()
    found = reopened.get_enrollment(started.id)
    assert found is not None
    assert found.events == {"survey": survey}
    assert found.step_id == "thanks"


def test_a_refreshed_entry_replaces_the_one_stored_at_insertion(
    store_factory: OpenStores,
) -> None:
    store = store_factory()
    started = enrollment()
    store.insert_enrollment(started)
    newer = Entry(name="signed_up", timestamp=T0 + timedelta(hours=5), properties={"plan": "pro"})
    store.save_enrollment(replace(started, entry=newer))
    store.close()

    found = store_factory().get_enrollment(started.id)
    assert found is not None
    assert found.entry == newer
    assert found.events == {}

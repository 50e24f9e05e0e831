"""Contacts written in bulk (a simulation loads a thousand at a time) are stored exactly
as one put_contact each, in order, would store them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from journey.errors import StoreError
from journey.model import Contact
from journey.store.abc import StateStore
from tests.store.contract.conftest import OpenStores
from tests.store.contract.records import contact


def _everyone(store: StateStore) -> list[Contact]:
    return [c for batch in store.iter_contacts() for c in batch]


def test_contacts_put_in_bulk_read_back_as_put_one_by_one(store_factory: OpenStores) -> None:
    loaded = [
        contact("c1", consent={"email": True}, attributes={"plan": "trial", "score": 1.5}),
        replace(contact("c2"), topics={"tips": {"email": False}}, locale="sv-SE"),
        contact("c3", attributes={"tags": ["a", "b"], "nested": {"x": None}}),
        contact("c1", attributes={"plan": "pro"}),  # the same id again: the last one stays
    ]
    bulk, one_by_one = store_factory("bulk"), store_factory("one_by_one")
    bulk.put_contact(contact("c3", attributes={"plan": "old"}))  # replaced whole
    one_by_one.put_contact(contact("c3", attributes={"plan": "old"}))
    bulk.put_contacts(loaded)
    for each in loaded:
        one_by_one.put_contact(each)
    assert _everyone(bulk) == _everyone(one_by_one)
    assert [c.id for c in _everyone(bulk)] == ["c1", "c2", "c3"]
    found = bulk.get_contact("c1")
    assert found is not None and found.attributes == {"plan": "pro"} and found.consent == {}
    bulk.put_contacts([])  # nothing to write is fine
    assert bulk.count_contacts() == 3


def test_contacts_put_in_bulk_are_read_as_written_in_the_same_transaction(
    store: StateStore,
) -> None:
    store.put_contact(contact("c1", attributes={"plan": "trial"}))
    with store.transaction():
        store.read_ahead(["c1", "c2"])
        assert store.get_contact("c2") is None
        store.put_contacts([contact("c1", attributes={"plan": "pro"}), contact("c2")])
        found = store.get_contact("c1")
        assert found is not None and found.attributes == {"plan": "pro"}
        assert store.get_contact("c2") is not None


def test_an_erased_contact_in_a_bulk_put_is_refused_and_nothing_is_written(
    store: StateStore,
) -> None:
    store.put_contact(contact("gone"))
    assert store.delete_contact("gone")
    with pytest.raises(StoreError, match="gone"):
        store.put_contacts([contact("new"), contact("gone")])
    assert store.get_contact("new") is None
    assert store.get_contact("gone") is None

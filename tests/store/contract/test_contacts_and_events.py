"""Contacts, events and their deduplication, as any backend must keep them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from journey.store.abc import StateStore
from tests.store.contract.conftest import OpenStores
from tests.store.contract.records import MINUTE, T0, contact, event


def test_a_contact_round_trips_and_is_replaced_whole(store: StateStore) -> None:
    store.put_contact(contact("c1", consent={"email": True}, attributes={"plan": "trial"}))
    store.put_contact(contact("c1", attributes={"plan": "pro"}))
    found = store.get_contact("c1")
    assert found is not None
    assert found.attributes == {"plan": "pro"}
    assert found.consent == {}
    assert store.get_contact("nobody") is None


def test_a_contacts_topic_choices_round_trip_per_kind_of_message(store: StateStore) -> None:
    topics = {"product_news": {"email": False, "sms": True}, "tips": {"push": True}}
    store.put_contact(replace(contact("c1"), topics=topics))
    store.put_contact(contact("c2"))
    found = store.get_contacts(["c1", "c2"])
    assert found["c1"].topics == topics
    assert not found["c1"].subscribed("product_news", "email")
    assert found["c1"].subscribed("product_news", "push")  # unchosen: the default
    assert found["c2"].topics == {}
    assert [c.topics for batch in store.iter_contacts() for c in batch] == [topics, {}]


def test_contacts_are_read_in_bulk_and_iterated_in_batches(store: StateStore) -> None:
    for number in range(5):
        store.put_contact(contact(f"c{number}"))
    assert sorted(store.get_contacts(["c1", "c3", "nobody"])) == ["c1", "c3"]
    assert [len(batch) for batch in store.iter_contacts(batch_size=2)] == [2, 2, 1]
    assert store.count_contacts() == 5


def test_a_contact_read_again_after_another_worker_changed_it_is_read_as_changed(
    store_factory: OpenStores,
) -> None:
    """The runner reads a contact, the delivery worker reads it again moments later: the
    second read answers what the row holds now, however recently the first one decoded it."""
    ours, theirs = store_factory(), store_factory()
    ours.put_contact(contact("c1", consent={"email": True}, attributes={"plan": "trial"}))
    first = ours.get_contacts(["c1"])["c1"]
    assert ours.get_contacts(["c1"])["c1"] == first == ours.get_contact("c1")
    theirs.put_contact(contact("c1", consent={"email": False}, attributes={"plan": "trial"}))
    again = ours.get_contacts(["c1"])["c1"]
    assert again.consent == {"email": False} and not again.has_consent("email")
    assert first.consent == {"email": True}  # what was read before is left as it was
    ours.put_contact(contact("c1", consent={"email": True}, attributes={"plan": "trial"}))
    assert ours.get_contact("c1") == first


def test_deleting_a_contact_forgets_it_and_says_whether_it_existed(store: StateStore) -> None:
    store.put_contact(contact("c1"))
    store.add_event(event("e1"))
    assert store.delete_contact("c1") is True
    assert store.get_contact("c1") is None
    assert store.count_events("c1", "opened", None, T0) == 0
    assert store.delete_contact("c1") is False


def test_an_event_id_is_stored_once(store: StateStore) -> None:
    assert store.add_event(event("e1")) is True
    assert store.add_event(event("e1", name="clicked")) is False
    store.add_events([event("e1"), event("e2", at=T0 + timedelta(hours=1))])
    assert store.count_events("c1", "opened", None, T0 + timedelta(days=1)) == 2
    assert store.count_events("c1", "clicked", None, T0 + timedelta(days=1)) == 0
    assert store.last_event_at("c1", "opened", T0 + timedelta(days=1)) == T0 + timedelta(hours=1)


def test_events_are_counted_inside_their_window(store: StateStore) -> None:
    store.add_events([event(f"e{hour}", at=T0 + timedelta(hours=hour)) for hour in range(4)])
    assert store.count_events("c1", "opened", T0 + timedelta(hours=1), T0 + timedelta(hours=2)) == 2
    assert store.delete_events_before(T0 + timedelta(hours=2)) == 2
    assert store.count_events("c1", "opened", None, T0 + timedelta(days=1)) == 2


def test_events_of_many_contacts_are_counted_at_once_as_one_by_one(store: StateStore) -> None:
    hours = {"c1": [0, 1, 2, 3], "c2": [2], "c3": [5]}
    store.add_events(
        [
            event(f"{contact_id}-{hour}", contact_id=contact_id, at=T0 + timedelta(hours=hour))
            for contact_id, at in hours.items()
            for hour in at
        ]
    )
    store.add_event(event("c1-clicked", name="clicked"))
    ids = ["c1", "c2", "c3", "nobody", "c1"]
    for since, until in [
        (None, T0 + timedelta(days=1)),
        (T0 + timedelta(hours=1), T0 + timedelta(hours=2)),
    ]:
        one_by_one = {c: n for c in ids if (n := store.count_events(c, "opened", since, until))}
        assert store.count_events_of(ids, "opened", since, until) == one_by_one
    assert store.count_events_of(ids, "opened", None, T0 + timedelta(days=1)) == {
        "c1": 4,
        "c2": 1,
        "c3": 1,
    }
    assert store.count_events_of([], "opened", None, T0) == {}


def test_the_latest_events_of_many_contacts_are_read_at_once_as_one_by_one(
    store: StateStore,
) -> None:
    for number, (contact_id, hour) in enumerate([("c1", 1), ("c1", 5), ("c2", 2), ("c3", 30)]):
        store.add_event(event(f"e{number}", contact_id=contact_id, at=T0 + timedelta(hours=hour)))
    ids = ["c1", "c2", "c3", "nobody"]
    until = T0 + timedelta(hours=24)
    one_by_one = {c: at for c in ids if (at := store.last_event_at(c, "opened", until))}
    assert store.last_events_at_of(ids, "opened", until) == one_by_one
    assert one_by_one == {"c1": T0 + timedelta(hours=5), "c2": T0 + timedelta(hours=2)}
    assert store.last_events_at_of(ids, "clicked", until) == {}
    assert store.last_events_at_of([], "opened", until) == {}


def test_known_event_ids_include_the_inbox(store: StateStore) -> None:
    store.add_event(event("stored"))
    body = {"id": "queued", "name": "opened", "contact_id": "c1", "timestamp": T0.isoformat()}
    store.enqueue([("event", body)], T0)
    assert store.known_event_ids(["stored", "queued", "unknown"]) == {"stored", "queued"}
    assert set(store.events_by_id(["queued"])) == {"queued"}


def test_an_event_another_worker_queued_is_known_here(store_factory: OpenStores) -> None:
    here, there = store_factory(), store_factory()
    body = {"id": "e9", "name": "opened", "contact_id": "c1", "timestamp": T0.isoformat()}
    there.enqueue([("event", body)], T0)
    assert here.known_event_ids(["e9"]) == {"e9"}


def test_a_transaction_that_raises_writes_nothing(store: StateStore) -> None:
    try:
        with store.transaction():
            store.put_contact(contact("c9"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert store.get_contact("c9") is None


def test_the_latest_event_of_a_name_is_read_back_whole(store: StateStore) -> None:
    # January, March and April: on PostgreSQL three monthly partitions
    first = replace(
        event("o1", name="order_placed", at=T0 - timedelta(days=40)), properties={"total": 120}
    )
    later = replace(
        event("o2", name="order_placed", at=T0 + timedelta(days=3)),
        properties={"total": 389.5, "bags": 3, "items": [{"sku": "ETH-250"}]},
    )
    future = event("o3", name="order_placed", at=T0 + timedelta(days=40))
    store.add_events([first, later, future, event("x1", name="opened", at=T0 + timedelta(days=4))])
    store.add_event(event("o9", contact_id="c2", name="order_placed", at=T0 + timedelta(days=5)))

    found = store.last_event("c1", "order_placed", T0 + timedelta(days=4))
    assert found is not None
    assert (found.id, found.name, found.contact_id) == ("o2", "order_placed", "c1")
    assert found.timestamp == T0 + timedelta(days=3)
    assert found.properties == {"total": 389.5, "bags": 3, "items": [{"sku": "ETH-250"}]}
    assert store.last_event("c1", "order_placed", T0 + timedelta(days=3)) == found  # `until` counts
    before = store.last_event("c1", "order_placed", T0 - MINUTE)
    assert before is not None and before.id == "o1"
    assert store.last_event("c1", "order_placed", T0 - timedelta(days=41)) is None
    assert store.last_event("c1", "cart_abandoned", T0 + timedelta(days=30)) is None
    assert store.last_event("nobody", "order_placed", T0 + timedelta(days=30)) is None


def test_of_latest_events_at_one_instant_the_one_received_last_wins(store: StateStore) -> None:
    store.add_events(
        [
            replace(event("a", name="order_placed"), received_at=T0 + MINUTE),
            replace(event("b", name="order_placed"), received_at=T0),
        ]
    )
    found = store.last_event("c1", "order_placed", T0)
    assert found is not None and found.id == "a"

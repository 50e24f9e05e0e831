"""Marketing send times of many contacts at once: what `marketing_send_times` says of each."""

from __future__ import annotations

from dataclasses import replace

from journey.store.abc import StateStore
from tests.store.contract.records import MINUTE, T0, delivery


def test_send_times_of_many_contacts_are_each_contacts_own(store: StateStore) -> None:
    store.add_delivery(delivery("a1", contact_id="a", due=T0 + 2 * MINUTE))
    store.add_delivery(delivery("a2", contact_id="a", due=T0))
    store.add_delivery(delivery("a3", contact_id="a", due=T0 - MINUTE))  # not after `since`
    store.add_delivery(delivery("a4", contact_id="a", due=T0 - 2 * MINUTE))
    store.add_delivery(delivery("b1", contact_id="b", due=T0 + MINUTE))
    store.add_delivery(replace(delivery("b2", contact_id="b"), category="transactional"))
    store.add_delivery(replace(delivery("b3", contact_id="b"), kind="webhook"))
    store.add_delivery(replace(delivery("b4", contact_id="b"), status="suppressed"))
    store.add_delivery(delivery("b5", contact_id="b", due=T0 + 3 * MINUTE))
    store.update_delivery("b5", status="dead", attempts=5)
    store.add_delivery(delivery("c1", contact_id="c", due=T0 + 3 * MINUTE))
    store.update_delivery("c1", status="sent", attempts=1, sent_at=T0 + 3 * MINUTE)
    store.add_delivery(delivery("d1", contact_id="d", due=T0 - 5 * MINUTE))
    since = T0 - MINUTE
    ids = ["a", "b", "c", "d", "nobody", "a"]
    found = store.marketing_send_times_of(ids, since)
    assert found == {"a": [T0, T0 + 2 * MINUTE], "b": [T0 + MINUTE], "c": [T0 + 3 * MINUTE]}
    for contact_id in ids:
        assert found.get(contact_id, []) == store.marketing_send_times(contact_id, since)
    assert store.marketing_send_times_of([], since) == {}

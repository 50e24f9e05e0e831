"""A worker may give its claim the deliveries its own runner just wrote (`known`): the claim is
the store's all the same — the same rows, leases and order — and only the decoding is spared.

Two stores opened on one database stand for two workers.
"""

from __future__ import annotations

from journey.store.abc import StateStore
from tests.store.contract.conftest import OpenStores
from tests.store.contract.records import MINUTE, T0, delivery


def test_known_deliveries_come_back_as_written_with_the_claims_lease(store: StateStore) -> None:
    written = {key: delivery(key, due=T0 + n * MINUTE) for n, key in enumerate(["k1", "k2"])}
    for record in written.values():
        store.add_delivery(record)
    claimed = store.claim_due_deliveries(
        T0 + 5 * MINUTE, 10, worker="a", lease_until=T0 + 9 * MINUTE, known=written
    )
    assert claimed == [written["k1"], written["k2"]]  # in due order, as without `known`
    for record in claimed:
        assert record.lease is not None and record.lease.worker == "a"
        assert record.lease.expires_at == T0 + 9 * MINUTE
        assert written[record.delivery_key].lease is None  # the caller's records stay as given
    # claimed in the store: nobody else can take them, and a second claim finds nothing
    assert store.claim_due_deliveries(T0 + 6 * MINUTE, 10, worker="b", lease_until=T0) == []
    assert store.deliveries_in_doubt(T0 + 5 * MINUTE) == {"k1": T0, "k2": T0 + MINUTE}


def test_knowing_a_delivery_does_not_take_it_from_the_worker_that_holds_it(
    store_factory: OpenStores,
) -> None:
    ours, theirs = store_factory(), store_factory()
    written = {key: delivery(key) for key in ("k1", "k2")}
    for record in written.values():
        ours.add_delivery(record)
    [held] = theirs.claim_due_deliveries(T0, 1, worker="theirs", lease_until=T0 + 5 * MINUTE)
    claimed = ours.claim_due_deliveries(
        T0, 10, worker="ours", lease_until=T0 + 5 * MINUTE, known=written
    )
    assert [d.delivery_key for d in claimed] == [k for k in written if k != held.delivery_key]
    lease = claimed[0].lease
    assert lease is not None and lease.worker == "ours"


def test_a_known_delivery_changed_since_it_was_written_comes_back_as_stored(
    store_factory: OpenStores,
) -> None:
    """Another worker tried it meanwhile and it is due again: its attempts are the row's."""
    ours, theirs = store_factory(), store_factory()
    written = {"k1": delivery("k1")}
    ours.add_delivery(written["k1"])
    [tried] = theirs.claim_due_deliveries(T0, 10, worker="theirs", lease_until=T0 + MINUTE)
    theirs.update_delivery(tried, attempts=1, next_attempt_at=T0 + 2 * MINUTE, last_error="busy")
    [claimed] = ours.claim_due_deliveries(
        T0 + 2 * MINUTE, 10, worker="ours", lease_until=T0 + 9 * MINUTE, known=written
    )
    assert claimed.attempts == 1 and claimed.last_error == "busy"
    assert claimed.next_attempt_at == T0 + 2 * MINUTE
    assert claimed.payload == written["k1"].payload
    assert claimed.lease is not None and claimed.lease.worker == "ours"


def test_deliveries_others_wrote_are_claimed_beside_the_known_ones(
    store_factory: OpenStores,
) -> None:
    ours, theirs = store_factory(), store_factory()
    written = {"k-ours": delivery("k-ours", contact_id="c1")}
    ours.add_delivery(written["k-ours"])
    theirs.add_delivery(delivery("k-theirs", contact_id="c2", due=T0 - MINUTE))
    claimed = ours.claim_due_deliveries(
        T0, 10, worker="ours", lease_until=T0 + 5 * MINUTE, known=written
    )
    assert [d.delivery_key for d in claimed] == ["k-theirs", "k-ours"]
    assert claimed[0] == delivery("k-theirs", contact_id="c2", due=T0 - MINUTE)
    assert all(d.lease is not None and d.lease.worker == "ours" for d in claimed)
    # a limit counts both, due order first, as without `known`
    ours.release_claims("ours")
    [first] = ours.claim_due_deliveries(
        T0, 1, worker="ours", lease_until=T0 + 5 * MINUTE, known=written
    )
    assert first.delivery_key == "k-theirs"

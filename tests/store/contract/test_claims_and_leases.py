"""Claims hand due work to one worker at a time; leases expire and are taken over; writes fenced.

Two stores opened on one database stand for two workers (or two machines).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from journey.records import Enrollment, LeaseLost
from journey.shards import shard_of
from journey.store.abc import StateStore
from tests.store.contract.conftest import OpenStores
from tests.store.contract.records import MINUTE, T0, delivery, enrollment


def exited(e: Enrollment) -> Enrollment:
    return replace(e, status="exited", exit_reason="completed", exited_at=T0, due_at=None)


def test_enrollments_are_inserted_once_while_active(store: StateStore) -> None:
    assert store.insert_enrollment(enrollment()) is True
    assert store.insert_enrollment(enrollment(number=2)) is False  # one active per journey
    found = store.get_enrollment("j1:c1:1")
    assert found == enrollment()
    assert store.count_enrollments("j1", "c1") == 1
    assert found is not None
    store.save_enrollment(exited(found))
    assert store.active_enrollments("c1") == []
    assert store.insert_enrollment(enrollment(number=2)) is True
    assert [e.id for e in store.active_enrollments_in("j1", 10)] == ["j1:c1:2"]


def test_a_claim_carries_its_lease_and_hides_the_work_from_others(
    store_factory: OpenStores,
) -> None:
    a, b = store_factory(), store_factory()
    a.insert_enrollment(enrollment("c1"))
    a.insert_enrollment(enrollment("c2", due=T0 + 10 * MINUTE))
    claimed = a.claim_due_enrollments(T0, 10, worker="a", lease_until=T0 + 5 * MINUTE)
    assert [e.id for e in claimed] == ["j1:c1:1"]  # c2 is not due yet
    lease = claimed[0].lease
    assert lease is not None and lease.worker == "a" and lease.expires_at == T0 + 5 * MINUTE
    assert b.claim_due_enrollments(T0 + MINUTE, 10, worker="b", lease_until=T0 + 6 * MINUTE) == []
    assert a.get_enrollment("j1:c1:1") == claimed[0]  # the lease is not part of the value


def test_skipped_journeys_are_not_claimed(store: StateStore) -> None:
    store.insert_enrollment(enrollment(journey="paused"))
    store.insert_enrollment(enrollment(journey="running"))
    claimed = store.claim_due_enrollments(
        T0, 10, worker="a", lease_until=T0 + MINUTE, skip_journeys=["paused"]
    )
    assert [e.journey_id for e in claimed] == ["running"]


def test_an_expired_lease_is_taken_over_with_a_higher_epoch(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    a.insert_enrollment(enrollment())
    [first] = a.claim_due_enrollments(T0, 10, worker="a", lease_until=T0 + MINUTE)
    [second] = b.claim_due_enrollments(T0 + 2 * MINUTE, 10, worker="b", lease_until=T0 + 9 * MINUTE)
    assert first.lease is not None and second.lease is not None
    assert second.lease.worker == "b"
    assert second.lease.epoch > first.lease.epoch


def test_a_worker_whose_lease_was_taken_over_writes_nothing(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    a.insert_enrollment(enrollment())
    [stale] = a.claim_due_enrollments(T0, 10, worker="a", lease_until=T0 + MINUTE)
    [fresh] = b.claim_due_enrollments(T0 + 2 * MINUTE, 10, worker="b", lease_until=T0 + 9 * MINUTE)
    with pytest.raises(LeaseLost):
        a.save_enrollment(replace(stale, step_id="by-a"))
    with pytest.raises(LeaseLost), a.transaction():
        a.add_delivery(delivery("k-a"))
        a.save_enrollment(replace(stale, step_id="by-a"))
    assert a.get_delivery("k-a") is None  # the transaction around the lost write is undone
    found = a.get_enrollment(stale.id)
    assert found is not None and found.step_id == "welcome"
    b.save_enrollment(replace(fresh, step_id="by-b"))
    found = a.get_enrollment(stale.id)
    assert found is not None and found.step_id == "by-b"


def test_an_expired_lease_nobody_took_still_lets_its_holder_write(store: StateStore) -> None:
    store.insert_enrollment(enrollment())
    [claimed] = store.claim_due_enrollments(T0, 10, worker="a", lease_until=T0 + MINUTE)
    store.save_enrollment(replace(claimed, step_id="late"))  # no LeaseLost: nobody claimed it
    store.save_enrollment(replace(claimed, step_id="later"))  # the same version saved twice
    found = store.get_enrollment(claimed.id)
    assert found is not None and found.step_id == "later"


def test_an_active_version_saved_over_a_row_no_longer_active_is_written_whole(
    store: StateStore,
) -> None:
    """Status and all, with or without a lease: a save writes the version it is given."""
    store.insert_enrollment(enrollment())
    [claimed] = store.claim_due_enrollments(T0, 10, worker="a", lease_until=T0 + MINUTE)
    store.save_enrollment(exited(claimed))
    store.save_enrollment(replace(claimed, step_id="again"))  # the claim still holds
    found = store.get_enrollment(claimed.id)
    assert found is not None and found.is_active and found.step_id == "again"
    assert found.exit_reason is None and found.due_at == claimed.due_at
    store.save_enrollment(exited(replace(found, lease=None)))
    store.save_enrollment(replace(found, lease=None, step_id="once more"))
    found = store.get_enrollment(claimed.id)
    assert found is not None and found.is_active and found.step_id == "once more"
    assert [e.id for e in store.active_enrollments("c1")] == [claimed.id]


def test_saving_releases_the_claim(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    a.insert_enrollment(enrollment())
    [claimed] = a.claim_due_enrollments(T0, 10, worker="a", lease_until=T0 + 5 * MINUTE)
    a.save_enrollment(replace(claimed, due_at=T0 + MINUTE))
    again = b.claim_due_enrollments(T0 + MINUTE, 10, worker="b", lease_until=T0 + 5 * MINUTE)
    assert [e.id for e in again] == [claimed.id]


def test_releasing_claims_releases_only_the_callers(store_factory: OpenStores) -> None:
    a, b, c = store_factory(), store_factory(), store_factory()
    a.insert_enrollment(enrollment("c1"))
    a.insert_enrollment(enrollment("c2"))
    a.add_delivery(delivery("k1"))
    a.claim_due_enrollments(T0, 1, worker="a", lease_until=T0 + 5 * MINUTE)
    b.claim_due_enrollments(T0, 1, worker="b", lease_until=T0 + 5 * MINUTE)
    a.claim_due_deliveries(T0, 1, worker="a", lease_until=T0 + 5 * MINUTE)
    assert a.release_claims("a") == 2
    assert a.release_claims("a") == 0
    free = c.claim_due_enrollments(T0, 10, worker="c", lease_until=T0 + 5 * MINUTE)
    assert len(free) == 1  # a's; b's lease stays
    assert [
        d.delivery_key for d in c.claim_due_deliveries(T0, 10, worker="c", lease_until=T0 + MINUTE)
    ] == ["k1"]


def test_a_delivery_is_written_once_under_its_key(store: StateStore) -> None:
    assert store.add_delivery(delivery("k1")) is True
    assert store.add_delivery(delivery("k1")) is False
    found = store.get_delivery("k1")
    assert found is not None and found.status == "pending" and found.payload == {"subject": "Hi"}
    assert store.marketing_send_times("c1", T0 - MINUTE) == [T0]


def test_due_deliveries_are_claimed_and_fenced(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    a.add_delivery(delivery("k1"))
    a.add_delivery(delivery("k2", due=T0 + 10 * MINUTE))
    [stale] = a.claim_due_deliveries(T0, 10, worker="a", lease_until=T0 + MINUTE)
    assert stale.delivery_key == "k1" and stale.lease is not None
    assert b.claim_due_deliveries(T0, 10, worker="b", lease_until=T0 + MINUTE) == []
    [fresh] = b.claim_due_deliveries(T0 + 2 * MINUTE, 1, worker="b", lease_until=T0 + 9 * MINUTE)
    with pytest.raises(LeaseLost):
        a.update_delivery(stale, status="dead", attempts=1, last_error="late")
    with pytest.raises(LeaseLost):
        a.mark_sent([(stale, 1)], T0)
    found = b.get_delivery("k1")
    assert found is not None and found.status == "pending" and found.attempts == 0
    b.mark_sent([(fresh, 1)], T0 + 3 * MINUTE)
    found = b.get_delivery("k1")
    assert found is not None and found.status == "sent" and found.sent_at == T0 + 3 * MINUTE


def test_marking_sent_is_all_or_nothing_when_one_lease_was_lost(
    store_factory: OpenStores,
) -> None:
    a, b = store_factory(), store_factory()
    for key in ("k1", "k2"):
        a.add_delivery(delivery(key))
    held = a.claim_due_deliveries(T0, 10, worker="a", lease_until=T0 + MINUTE)
    assert len(held) == 2
    a.update_delivery(held[1], next_attempt_at=T0 + MINUTE)  # released, due again soon
    b.claim_due_deliveries(T0 + 2 * MINUTE, 10, worker="b", lease_until=T0 + 9 * MINUTE)
    with pytest.raises(LeaseLost):
        a.mark_sent([(held[0], 1), (held[1], 1)], T0)
    statuses = {k: d.status for k in ("k1", "k2") if (d := b.get_delivery(k)) is not None}
    assert statuses == {"k1": "pending", "k2": "pending"}


def test_a_delivery_updated_by_key_is_not_fenced(store: StateStore) -> None:
    store.add_delivery(delivery("k1"))
    store.update_delivery("k1", status="suppressed", last_error="no consent")
    found = store.get_delivery("k1")
    assert found is not None and found.status == "suppressed"


def test_a_write_without_a_lease_fences_out_the_claims_holder(store_factory: OpenStores) -> None:
    """An event moved the enrollment on while a worker held its claim: that worker's version
    is older than the stored one, and its save is refused."""
    a, b = store_factory(), store_factory()
    a.insert_enrollment(enrollment())
    [claimed] = a.claim_due_enrollments(T0, 10, worker="a", lease_until=T0 + 5 * MINUTE)
    current = b.get_enrollment(claimed.id)
    assert current is not None and current.lease is None  # read, not claimed
    b.save_enrollment(exited(current))
    with pytest.raises(LeaseLost):
        a.save_enrollment(replace(claimed, step_id="stale"))
    found = a.get_enrollment(claimed.id)
    assert found is not None and found.status == "exited" and found.step_id == "welcome"


def test_a_delivery_updated_by_key_fences_out_the_claims_holder(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    a.add_delivery(delivery("k1"))
    [claimed] = a.claim_due_deliveries(T0, 10, worker="a", lease_until=T0 + 5 * MINUTE)
    b.update_delivery("k1", status="suppressed", last_error="erased meanwhile")
    with pytest.raises(LeaseLost):
        a.mark_sent([(claimed, 1)], T0)
    found = a.get_delivery("k1")
    assert found is not None and found.status == "suppressed"


def test_deliveries_marked_sent_by_key_fence_out_the_claims_holder(
    store_factory: OpenStores,
) -> None:
    a, b = store_factory(), store_factory()
    a.add_delivery(delivery("k1"))
    [claimed] = a.claim_due_deliveries(T0, 10, worker="a", lease_until=T0 + 5 * MINUTE)
    b.mark_sent([("k1", 1)], T0)  # by key: not claimed by b, yet over a's live claim
    with pytest.raises(LeaseLost):
        a.update_delivery(claimed, status="dead", attempts=1, last_error="stale")
    found = a.get_delivery("k1")
    assert found is not None and found.status == "sent"


def test_deliveries_in_doubt_are_the_claimed_ones_not_yet_recorded(store: StateStore) -> None:
    """A worker that claimed a delivery may have written it to a channel and died before
    recording it: in doubt until recorded. Never claimed, recorded or not due: not in doubt."""
    store.add_delivery(delivery("k-died", contact_id="c1"))
    store.add_delivery(delivery("k-released", contact_id="c2", due=T0 + MINUTE))
    store.add_delivery(delivery("k-sent", contact_id="c1", due=T0 + 2 * MINUTE))
    claimed = store.claim_due_deliveries(
        T0 + 2 * MINUTE, 10, worker="a", lease_until=T0 + 9 * MINUTE
    )
    assert [d.delivery_key for d in claimed] == ["k-died", "k-released", "k-sent"]
    store.mark_sent([(claimed[2], 1)], T0 + 2 * MINUTE)
    store.release_claims("a")  # a stop hands claims back: still in doubt (one may be written)
    store.add_delivery(delivery("k-never-claimed", contact_id="c1"))
    store.add_delivery(delivery("k-later", contact_id="c1", due=T0 + 10 * MINUTE))
    assert store.deliveries_in_doubt(T0 + 5 * MINUTE) == {
        "k-died": T0,
        "k-released": T0 + MINUTE,
    }
    # by shard: a worker that took over shard_of("c2") looks at its deliveries only
    assert store.deliveries_in_doubt(T0 + 5 * MINUTE, [shard_of("c2")]) == {
        "k-released": T0 + MINUTE
    }
    assert store.deliveries_in_doubt(T0 + 5 * MINUTE, []) == {}
    assert store.deliveries_in_doubt(T0 - MINUTE) == {}

"""The inbox, per-contact time triggers and journey clocks are claimed like due enrollments."""

from __future__ import annotations

from dataclasses import replace

import pytest

from journey.records import JourneyState, LeaseLost, TriggerState
from journey.store.abc import StateStore
from tests.store.contract.conftest import OpenStores
from tests.store.contract.records import MINUTE, T0


def inbox_items(count: int) -> list[tuple[str, dict[str, object]]]:
    return [
        (
            "event",
            {"id": f"e{n}", "name": "opened", "contact_id": "c1", "timestamp": T0.isoformat()},
        )
        for n in range(count)
    ]


def test_inbox_items_are_claimed_in_arrival_order_by_one_worker(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    a.enqueue(inbox_items(5), T0)
    first = a.claim_inbox(T0, 3, worker="a", lease_until=T0 + MINUTE)
    assert [item.body["id"] for item in first] == ["e0", "e1", "e2"]
    assert all(item.lease is not None and item.lease.worker == "a" for item in first)
    rest = b.claim_inbox(T0, 10, worker="b", lease_until=T0 + MINUTE)
    assert [item.body["id"] for item in rest] == ["e3", "e4"]
    assert a.claim_inbox(T0, 10, worker="a", lease_until=T0 + MINUTE) == []
    a.remove_from_inbox(first)
    assert a.inbox_size() == 2


def test_an_inbox_batch_taken_over_is_not_removed_by_its_old_holder(
    store_factory: OpenStores,
) -> None:
    a, b = store_factory(), store_factory()
    a.enqueue(inbox_items(2), T0)
    stale = a.claim_inbox(T0, 10, worker="a", lease_until=T0 + MINUTE)
    fresh = b.claim_inbox(T0 + 2 * MINUTE, 10, worker="b", lease_until=T0 + 9 * MINUTE)
    assert [i.seq for i in fresh] == [i.seq for i in stale]
    with pytest.raises(LeaseLost):
        a.remove_from_inbox(stale)
    assert a.inbox_size() == 2  # nothing removed
    b.remove_from_inbox(fresh)
    assert a.inbox_size() == 0


def test_releasing_inbox_claims_hands_them_to_the_next_worker(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    a.enqueue(inbox_items(2), T0)
    a.claim_inbox(T0, 10, worker="a", lease_until=T0 + 5 * MINUTE)
    assert a.release_claims("a") == 2
    assert len(b.claim_inbox(T0, 10, worker="b", lease_until=T0 + MINUTE)) == 2


def due_trigger(contact_id: str, journey: str = "birthday") -> TriggerState:
    return TriggerState(journey_id=journey, contact_id=contact_id, next_fire_at=T0)


def test_due_triggers_are_claimed_once_per_lease(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    a.put_trigger_states([due_trigger("c1"), due_trigger("c2"), due_trigger("c3", "other")])
    claimed = a.claim_due_trigger_states(T0, 10, ["birthday"], worker="a", lease_until=T0 + MINUTE)
    assert sorted(s.contact_id for s in claimed) == ["c1", "c2"]
    assert all(s.lease is not None for s in claimed)
    assert (
        b.claim_due_trigger_states(T0, 10, ["birthday"], worker="b", lease_until=T0 + MINUTE) == []
    )
    assert a.claim_due_trigger_states(T0, 10, [], worker="a", lease_until=T0 + MINUTE) == []


def test_a_fired_trigger_written_under_a_lost_lease_is_refused(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    a.put_trigger_states([due_trigger("c1")])
    [stale] = a.claim_due_trigger_states(T0, 10, ["birthday"], worker="a", lease_until=T0 + MINUTE)
    [fresh] = b.claim_due_trigger_states(
        T0 + 2 * MINUTE, 10, ["birthday"], worker="b", lease_until=T0 + 9 * MINUTE
    )
    next_year = T0.replace(year=T0.year + 1)
    with pytest.raises(LeaseLost):
        a.put_trigger_states([replace(stale, next_fire_at=next_year, last_fired_at=T0)])
    assert a.get_trigger_state("birthday", "c1") == due_trigger("c1")
    b.put_trigger_states([replace(fresh, next_fire_at=next_year, last_fired_at=T0)])
    found = a.get_trigger_state("birthday", "c1")
    assert found is not None and found.next_fire_at == next_year
    assert (
        b.claim_due_trigger_states(
            T0 + 3 * MINUTE, 10, ["birthday"], worker="b", lease_until=T0 + 9 * MINUTE
        )
        == []
    )  # fired: not due again before next year


def test_a_batch_of_fired_triggers_with_one_lease_lost_writes_none_of_them(
    store_factory: OpenStores,
) -> None:
    a, b = store_factory(), store_factory()
    a.put_trigger_states([due_trigger(f"c{n}") for n in range(4)])
    held = a.claim_due_trigger_states(T0, 10, ["birthday"], worker="a", lease_until=T0 + MINUTE)
    a.put_trigger_states([due_trigger("c2")])  # re-armed meanwhile: the claim on c2 is gone
    next_year = T0.replace(year=T0.year + 1)
    fired = [replace(s, next_fire_at=next_year, last_fired_at=T0) for s in held]
    unclaimed = TriggerState(journey_id="birthday", contact_id="c9", next_fire_at=next_year)
    with pytest.raises(LeaseLost, match="for c2"):
        a.put_trigger_states([*fired, unclaimed])
    states = b.get_trigger_states("birthday", [f"c{n}" for n in (0, 1, 2, 3, 9)])
    assert sorted(states) == ["c0", "c1", "c2", "c3"]
    assert all(state.next_fire_at == T0 for state in states.values())
    kept = [s for s in fired if s.contact_id != "c2"]
    a.put_trigger_states(kept)  # the held leases still write, all at once
    states = b.get_trigger_states("birthday", [s.contact_id for s in kept])
    assert all(state.next_fire_at == next_year for state in states.values())


def test_trigger_states_are_read_one_by_one_and_in_bulk(store: StateStore) -> None:
    store.put_trigger_states([due_trigger("c1"), replace(due_trigger("c2"), segment_match=True)])
    assert store.get_trigger_state("birthday", "nobody") is None
    states = store.get_trigger_states("birthday", ["c1", "c2", "nobody"])
    assert sorted(states) == ["c1", "c2"]
    assert states["c2"].segment_match is True


def test_one_worker_takes_a_journey_clocks_fire(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    a.put_journey_state(JourneyState(journey_id="weekly", trigger="schedule", next_fire_at=T0))
    nxt = T0.replace(day=T0.day + 7)
    seen_a, seen_b = a.get_journey_state("weekly"), b.get_journey_state("weekly")
    assert seen_a is not None and seen_b is not None and seen_a.next_fire_at == T0
    won = [
        store.claim_journey_fire("weekly", T0, next_fire_at=nxt, last_fired_at=T0)
        for store in (a, b)
    ]
    assert won == [True, False]
    state = b.get_journey_state("weekly")
    assert state is not None and state.next_fire_at == nxt and state.last_fired_at == T0


def test_a_failed_batch_handed_back_is_due_again_at_once(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    a.enqueue(inbox_items(3), T0)
    batch = a.claim_inbox(T0, 2, worker="a", lease_until=T0 + 5 * MINUTE)
    a.release_inbox(batch)
    again = b.claim_inbox(T0, 10, worker="b", lease_until=T0 + 5 * MINUTE)
    assert [item.seq for item in again] == [item.seq for item in batch] + [again[-1].seq]
    assert len(again) == 3 and a.inbox_size() == 3


def test_a_stale_lease_hands_nothing_back(store_factory: OpenStores) -> None:
    a, b, c = store_factory(), store_factory(), store_factory()
    a.enqueue(inbox_items(2), T0)
    stale = a.claim_inbox(T0, 10, worker="a", lease_until=T0 + MINUTE)
    b.claim_inbox(T0 + 2 * MINUTE, 10, worker="b", lease_until=T0 + 9 * MINUTE)
    a.release_inbox(stale)  # too late: b holds them now
    assert c.claim_inbox(T0 + 3 * MINUTE, 10, worker="c", lease_until=T0 + 9 * MINUTE) == []


def test_a_trigger_re_armed_meanwhile_fences_out_the_claims_holder(
    store_factory: OpenStores,
) -> None:
    a, b = store_factory(), store_factory()
    a.put_trigger_states([due_trigger("c1")])
    [claimed] = a.claim_due_trigger_states(
        T0, 10, ["birthday"], worker="a", lease_until=T0 + 5 * MINUTE
    )
    re_armed = replace(due_trigger("c1"), next_fire_at=T0 + 60 * MINUTE)
    b.put_trigger_states([re_armed])  # an event re-armed it while a held the claim
    with pytest.raises(LeaseLost):
        a.put_trigger_states([replace(claimed, next_fire_at=None, last_fired_at=T0)])
    assert a.get_trigger_state("birthday", "c1") == re_armed

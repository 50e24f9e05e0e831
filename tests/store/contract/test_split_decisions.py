"""A split's auto-winner decision: kept once per journey and step, shared by every worker."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from journey.records import SplitDecision, StepRecord
from journey.store.abc import StateStore
from tests.store.contract.conftest import OpenStores

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def decision(winner: str | None, *, step: str = "subject", at: datetime = NOW) -> SplitDecision:
    figures = {"arms": [{"name": "a", "entered": 10, "converted": 4}], "p_value": 0.01}
    return SplitDecision(
        journey_id="welcome", step_id=step, decided_at=at, winner=winner, figures=figures
    )


def test_a_split_without_a_decision_has_none(store: StateStore) -> None:
    assert store.split_decision("welcome", "subject") is None
    assert store.split_decisions() == []


def test_the_first_decision_is_kept_and_a_second_gets_it_back(store_factory: OpenStores) -> None:
    one, two = store_factory(), store_factory()
    kept = one.record_split_decision(decision("a"))
    assert kept == decision("a")
    again = two.record_split_decision(decision(None, at=NOW + timedelta(hours=1)))
    assert again == decision("a")
    assert two.split_decision("welcome", "subject") == decision("a")
    assert [d.winner for d in one.split_decisions("welcome")] == ["a"]


def test_no_winner_is_a_decision_too(store: StateStore) -> None:
    assert store.record_split_decision(decision(None)).winner is None
    assert store.record_split_decision(decision("a")).winner is None


def test_each_split_has_its_own_decision(store: StateStore) -> None:
    store.record_split_decision(decision("a", step="subject"))
    store.record_split_decision(decision("b", step="offer", at=NOW + timedelta(minutes=1)))
    assert [(d.step_id, d.winner) for d in store.split_decisions()] == [
        ("subject", "a"),
        ("offer", "b"),
    ]
    assert store.split_decisions("another") == []


def test_two_workers_racing_keep_one_decision(store_factory: OpenStores) -> None:
    stores = [store_factory() for _ in range(4)]
    kept: list[SplitDecision] = []
    lock = threading.Lock()

    def decide(store: StateStore, winner: str) -> None:
        got = store.record_split_decision(decision(winner))
        with lock:
            kept.append(got)

    threads = [
        threading.Thread(target=decide, args=(s, w)) for s, w in zip(stores, "abcd", strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({d.winner for d in kept}) == 1
    assert len(stores[0].split_decisions()) == 1


def test_split_progress_counts_arms_given_and_the_first_moment(store: StateStore) -> None:
    assert store.split_progress("welcome", "subject", count_up_to=10) == (0, None)
    records = [
        StepRecord(
            enrollment_id=f"welcome:c{i}:1",
            journey_id="welcome",
            contact_id=f"c{i}",
            step_id="subject",
            outcome="done",
            at=NOW + timedelta(hours=i),
            detail="a",
        )
        for i in range(3)
    ]
    waiting = StepRecord(
        enrollment_id="welcome:c9:1",
        journey_id="welcome",
        contact_id="c9",
        step_id="subject",
        outcome="waiting",
        at=NOW - timedelta(days=1),
    )
    store.add_step_records([*records, waiting])
    assert store.split_progress("welcome", "subject", count_up_to=10) == (3, NOW)
    assert store.split_progress("welcome", "subject", count_up_to=2) == (2, NOW)

"""A save over a row the SQLite store knows (it claimed or inserted it) writes only the step's
columns when the others are unchanged; the row it leaves is the one a whole write leaves.

Each scenario runs twice, on a store that takes that shortcut and on one that never does
(every save writes every column), and the two files must hold the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey.records import Enrollment, Entry, LeaseLost
from journey.store.sqlite import SQLiteStore
from tests.store.contract.records import T0
from tests.store.contract.records import enrollment as contract_enrollment

MINUTE = timedelta(minutes=1)
# how the statements begin (as traced: with their values)
SHORT = "UPDATE enrollments SET step_id="
WHOLE = "UPDATE enrollments SET entry="


def enrollment(number: int = 1) -> Enrollment:
    """Contact `number`'s first enrollment, at its first step."""
    return contract_enrollment(f"c{number}")


def open_store(path: Path, *, shortcut: bool, scratch: bool = True) -> SQLiteStore:
    store = SQLiteStore(path, scratch=scratch)
    if not shortcut:  # nothing is ever known of a row: every save is the whole write
        store._hold_claimed = lambda rows, leases: None  # type: ignore[method-assign]
        store._hold_inserted = lambda row: None  # type: ignore[method-assign]
    return store


def rows(store: SQLiteStore) -> list[tuple[Any, ...]]:
    return store._all("SELECT * FROM enrollments ORDER BY id")


@pytest.fixture
def statements() -> Iterator[Callable[[SQLiteStore], list[str]]]:
    """The statements a store runs from now on, as a list that grows."""
    traced: list[SQLiteStore] = []

    def trace(store: SQLiteStore) -> list[str]:
        seen: list[str] = []
        store._conn.set_trace_callback(seen.append)
        traced.append(store)
        return seen

    yield trace
    for store in traced:
        store._conn.set_trace_callback(None)


# What one step may change: each of the columns the shortcut leaves alone, and the others.
CHANGES: dict[str, Callable[[Enrollment, int], Enrollment]] = {
    "step": lambda e, n: replace(
        e,
        step_id=f"step-{n}",
        step_entered_at=T0 + n * MINUTE,
        due_at=T0 + (n + 1) * MINUTE,
        visits={**e.visits, f"step-{n}": 1},
    ),
    "waiting": lambda e, n: replace(e, phase="wait", defer_since=T0 + n * MINUTE),
    "split": lambda e, n: replace(e, split_arm=f"arm-{n}", arms={**e.arms, "split": f"arm-{n}"}),
    "refresh": lambda e, n: replace(
        e, entry=Entry(name="signed_up", timestamp=T0 + n * MINUTE, properties={"n": n})
    ),
    "same entry, new object": lambda e, n: replace(e, entry=replace(e.entry)),
    "converted": lambda e, n: replace(e, converted_at=T0 + n * MINUTE),
    "exit": lambda e, n: replace(
        e, status="exited", exit_reason="completed", exited_at=T0 + n * MINUTE, due_at=None
    ),
    "kept event": lambda e, n: replace(
        e, events={"order": Entry(name="ordered", timestamp=T0, properties={"total": 1.5})}
    ),
}


def run(store: SQLiteStore, plan: list[tuple[str, list[str]]]) -> None:
    """Each round: claim the due enrollments (or insert a new one), save each changed."""
    now = T0
    for number, (how, changes) in enumerate(plan, 1):
        now += MINUTE
        if how == "insert":
            with store.transaction():
                new = replace(enrollment(number), due_at=now)
                if store.insert_enrollment(new):
                    saved = new
                    for n, change in enumerate(changes):
                        saved = CHANGES[change](saved, number * 10 + n)
                    store.save_enrollment(saved)
            continue
        claimed = store.claim_due_enrollments(now, 10, worker="w", lease_until=now + MINUTE)
        with store.transaction():
            for e in claimed:
                saved = replace(e, due_at=now + MINUTE)
                for n, change in enumerate(changes):
                    saved = CHANGES[change](saved, number * 10 + n)
                store.save_enrollment(saved)
                if how == "claim, save twice":
                    store.save_enrollment(replace(saved, step_id="again"))


ROUNDS = st.lists(
    st.tuples(
        st.sampled_from(["insert", "claim", "claim, save twice"]),
        st.lists(st.sampled_from(sorted(CHANGES)), max_size=3),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=ROUNDS)
def test_the_short_save_leaves_the_row_the_whole_write_leaves(
    tmp_path_factory: pytest.TempPathFactory, plan: list[tuple[str, list[str]]]
) -> None:
    folder = tmp_path_factory.mktemp("saves")
    fast = open_store(folder / "fast.db", shortcut=True)
    slow = open_store(folder / "slow.db", shortcut=False)
    run(fast, [("insert", []), *plan])
    run(slow, [("insert", []), *plan])
    assert rows(fast) == rows(slow)
    fast.close()
    slow.close()


def test_a_step_after_a_claim_writes_only_the_steps_columns_and_releases_the_claim(
    tmp_path: Path, statements: Callable[[SQLiteStore], list[str]]
) -> None:
    store = open_store(tmp_path / "state.db", shortcut=True)
    store.insert_enrollment(enrollment())
    [claimed] = store.claim_due_enrollments(T0, 10, worker="w", lease_until=T0 + MINUTE)
    seen = statements(store)
    store.save_enrollment(CHANGES["step"](claimed, 1))
    [saved] = seen
    assert saved.startswith(SHORT) and "entry=" not in saved and "AND claim_epoch = " in saved
    assert store._one("SELECT claimed_by, claim_expires_at FROM enrollments") == (None, None)
    assert store.get_enrollment(claimed.id) == replace(CHANGES["step"](claimed, 1), lease=None)


def test_an_exit_or_a_refreshed_entry_is_written_whole(
    tmp_path: Path, statements: Callable[[SQLiteStore], list[str]]
) -> None:
    store = open_store(tmp_path / "state.db", shortcut=True)
    store.insert_enrollment(enrollment(1))
    store.insert_enrollment(enrollment(2))
    one, two = store.claim_due_enrollments(T0, 10, worker="w", lease_until=T0 + MINUTE)
    seen = statements(store)
    store.save_enrollment(CHANGES["exit"](one, 1))
    store.save_enrollment(CHANGES["refresh"](two, 2))
    assert [s[: len(WHOLE)] for s in seen] == [WHOLE, WHOLE]
    assert store.get_enrollment(one.id) == replace(CHANGES["exit"](one, 1), lease=None)
    assert store.get_enrollment(two.id) == replace(CHANGES["refresh"](two, 2), lease=None)


def test_a_claim_undone_with_its_transaction_is_not_taken_for_what_the_row_holds(
    tmp_path: Path,
) -> None:
    # a claims inside a transaction that is undone; b (the same worker name on another
    # connection) claims the row at the same epoch, refreshes its entry and saves; a's
    # stale save then passes the fence, and must write its whole version, entry too
    a = open_store(tmp_path / "state.db", shortcut=True, scratch=False)
    b = open_store(tmp_path / "state.db", shortcut=True, scratch=False)
    a.insert_enrollment(enrollment())
    with pytest.raises(RuntimeError), a.transaction():
        [stale] = a.claim_due_enrollments(T0, 10, worker="w", lease_until=T0 + MINUTE)
        raise RuntimeError("the batch failed")
    [claimed] = b.claim_due_enrollments(T0, 10, worker="w", lease_until=T0 + MINUTE)
    assert claimed.lease == stale.lease
    b.save_enrollment(CHANGES["refresh"](claimed, 1))
    a.save_enrollment(CHANGES["step"](stale, 2))
    assert b.get_enrollment(stale.id) == replace(CHANGES["step"](stale, 2), lease=None)
    a.close()
    b.close()


def test_a_row_inserted_in_an_earlier_transaction_may_have_been_written_by_others(
    tmp_path: Path,
) -> None:
    a = open_store(tmp_path / "state.db", shortcut=True, scratch=False)
    b = open_store(tmp_path / "state.db", shortcut=True, scratch=False)
    with a.transaction():
        a.insert_enrollment(enrollment())
    [claimed] = b.claim_due_enrollments(T0, 10, worker="b", lease_until=T0 + MINUTE)
    b.save_enrollment(CHANGES["refresh"](claimed, 1))
    with a.transaction():  # a version read before b's write, saved without a lease
        a.save_enrollment(CHANGES["step"](enrollment(), 2))
    assert a.get_enrollment(claimed.id) == CHANGES["step"](enrollment(), 2)
    a.close()
    b.close()


def test_a_short_save_under_a_lease_taken_over_is_refused(tmp_path: Path) -> None:
    a = open_store(tmp_path / "state.db", shortcut=True, scratch=False)
    b = open_store(tmp_path / "state.db", shortcut=True, scratch=False)
    a.insert_enrollment(enrollment())
    [mine] = a.claim_due_enrollments(T0, 10, worker="a", lease_until=T0 + MINUTE)
    [theirs] = b.claim_due_enrollments(T0 + 2 * MINUTE, 10, worker="b", lease_until=T0 + 3 * MINUTE)
    with pytest.raises(LeaseLost):
        a.save_enrollment(CHANGES["step"](mine, 1))
    b.save_enrollment(CHANGES["step"](theirs, 2))
    assert a.get_enrollment(mine.id) == replace(CHANGES["step"](theirs, 2), lease=None)
    a.close()
    b.close()

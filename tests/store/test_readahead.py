"""Read-ahead and buffered step history, on every store: the answers of row-by-row reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from journey.engine.state import Enrollment, Entry, StepRecord
from journey.model import Contact
from journey.store import codec
from journey.store.abc import StateStore
from tests.support.backends import Backend

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def enrollment(
    journey: str, contact: str, number: int, *, entered: datetime, **changes
) -> Enrollment:  # type: ignore[no-untyped-def]
    base = Enrollment(
        id=f"{journey}:{contact}:{number}",
        journey_id=journey,
        contact_id=contact,
        plan_hash="h",
        entered_at=entered,
        entry=Entry(name="signed_up", timestamp=entered),
        step_id="welcome",
        step_entered_at=entered,
        due_at=entered,
    )
    return replace(base, **changes)


def history(store: StateStore) -> None:
    """c1: an exited and an active enrollment in j1, a converted one in j2, an active one in j0."""
    with store.transaction():
        for cid in ("c1", "c2"):
            store.put_contact(Contact(id=cid, email=f"{cid}@x.example", created_at=T0))
        store.insert_enrollment(
            enrollment("j1", "c1", 1, entered=T0, status="exited", exited_at=T0, exit_reason="done")
        )
        store.insert_enrollment(enrollment("j1", "c1", 2, entered=T0 + timedelta(days=2)))
        store.insert_enrollment(
            enrollment("j2", "c1", 1, entered=T0, status="exited", converted_at=T0)
        )
        store.insert_enrollment(enrollment("j0", "c1", 1, entered=T0 + timedelta(days=1)))


def answers(store: StateStore, contact: str) -> tuple[object, ...]:
    return (
        store.get_contact(contact),
        store.active_enrollments(contact),
        [store.latest_enrollment(j, contact) for j in ("j0", "j1", "j2", "j3")],
        [store.count_enrollments(j, contact) for j in ("j0", "j1", "j2", "j3")],
        [store.unconverted_enrollments(j, contact) for j in ("j0", "j1", "j2", "j3")],
    )


def test_read_ahead_answers_exactly_as_the_queries_do(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    history(store)
    expected = {cid: answers(store, cid) for cid in ("c1", "c2", "nobody")}
    with store.transaction():
        store.read_ahead(["c1", "c2", "nobody", "c1"])
        with monkeypatch.context() as reads:  # every query of both stores goes through these
            for helper in ("_one", "_all"):
                reads.setattr(store, helper, lambda sql, *_: pytest.fail(f"read: {sql}"))
            for cid in ("c1", "c2", "nobody"):
                assert answers(store, cid) == expected[cid]
    assert [e.journey_id for e in expected["c1"][1]] == ["j0", "j1"]  # type: ignore[index]


def test_a_write_for_a_contact_is_seen_by_later_reads_in_the_batch(store: StateStore) -> None:
    history(store)
    with store.transaction():
        store.read_ahead(["c1", "c2"])
        store.insert_enrollment(enrollment("j3", "c2", 1, entered=T0))
        assert [e.id for e in store.active_enrollments("c2")] == ["j3:c2:1"]
        assert store.count_enrollments("j3", "c2") == 1
        active = store.active_enrollments("c1")[0]
        store.save_enrollment(replace(active, status="exited", exited_at=T0))
        assert [e.journey_id for e in store.active_enrollments("c1")] == ["j1"]
        store.put_contact(Contact(id="c1", email="new@x.example", created_at=T0))
        contact = store.get_contact("c1")
        assert contact is not None and contact.email == "new@x.example"


def test_read_ahead_ends_with_its_transaction(
    store: StateStore, backend: Backend, tmp_path: Path
) -> None:
    history(store)
    with store.transaction():
        store.read_ahead(["c1"])
    other = backend.open(tmp_path, "state")
    other.put_contact(Contact(id="c1", email="elsewhere@x.example", created_at=T0))
    contact = store.get_contact("c1")
    assert contact is not None and contact.email == "elsewhere@x.example"


def test_read_ahead_outside_a_transaction_is_ignored(store: StateStore) -> None:
    history(store)
    store.read_ahead(["c1"])
    assert store._ahead is None


def step(outcome: str) -> StepRecord:
    return StepRecord(
        enrollment_id="j1:c1:1",
        journey_id="j1",
        contact_id="c1",
        step_id="welcome",
        outcome=outcome,
        at=T0,
    )


def test_step_records_of_a_transaction_are_written_at_commit(
    store: StateStore, backend: Backend, tmp_path: Path
) -> None:
    other = backend.open(tmp_path, "state")  # a second connection to the same database
    with store.transaction():
        store.add_step_records([step("sent")])
        store.add_step_records([step("done")])
        assert [r.outcome for r in store.step_records("j1:c1:1")] == ["sent", "done"]
        assert other.step_records("j1:c1:1") == []  # not committed yet
        store.add_step_records([step("exited")])
    assert [r.outcome for r in other.step_records("j1:c1:1")] == ["sent", "done", "exited"]


def test_step_records_of_a_rolled_back_transaction_are_dropped(store: StateStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.add_step_records([step("sent")])
        raise RuntimeError("boom")
    store.add_step_records([step("done")])
    assert [r.outcome for r in store.step_records("j1:c1:1")] == ["done"]


def test_step_records_count_in_journey_counts_before_commit(store: StateStore) -> None:
    with store.transaction():
        store.add_step_records([step("sent")])
        counts = store.journey_counts("j1")
    assert counts.steps["welcome"].outcomes == {"sent": 1}


def test_utc_text_of_zoned_instants_in_a_dst_fold_differ() -> None:
    zone = ZoneInfo("Europe/Stockholm")
    first = datetime(2026, 10, 25, 2, 30, tzinfo=zone, fold=0)
    second = datetime(2026, 10, 25, 2, 30, tzinfo=zone, fold=1)
    assert codec.ts(first) == "2026-10-25T00:30:00.000000+00:00"
    assert codec.ts(second) == "2026-10-25T01:30:00.000000+00:00"
    utc = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert codec.ts(utc) == codec.ts(utc) == "2026-10-25T00:30:00.000000+00:00"

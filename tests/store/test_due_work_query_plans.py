"""Due work is found by walking its index from the earliest instant, not by reading every row.

A segment or schedule journey keeps one trigger state per contact. A claim that
read and sorted all of them made every round cost the whole population (churn
prevention over 10,000 contacts: 5 ms a claim, half the simulation), so time grew
with the square of the population. SQLite's planner, without statistics, prefers
the primary key's `journey_id = ?`; these tests read the plan SQLite chooses for
the statements the store runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from journey.records import TriggerState
from journey.store.sqlite import SQLiteStore

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "state.db")
    yield opened
    opened.close()


def plans_of_statements_run(store: SQLiteStore, action: object) -> dict[str, list[str]]:
    """Each statement `action()` runs on the store's connection, with SQLite's query plan."""
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    try:
        action()  # type: ignore[operator]
    finally:
        store._conn.set_trace_callback(None)
    plans = {}
    for sql in statements:
        if sql.lstrip().upper().startswith(("UPDATE", "SELECT")):
            rows = store._conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            plans[sql] = [row[-1] for row in rows]
    return plans


def test_claiming_due_trigger_states_walks_the_due_index(store: SQLiteStore) -> None:
    store.put_trigger_states(
        [
            TriggerState(
                journey_id="churn", contact_id=f"c{n}", next_fire_at=T0 + timedelta(hours=n)
            )
            for n in range(50)
        ]
    )
    plans = plans_of_statements_run(
        store,
        lambda: store.claim_due_trigger_states(
            T0, 10, ["churn"], worker="w", lease_until=T0 + timedelta(minutes=5)
        ),
    )
    (claim,) = [steps for sql, steps in plans.items() if "trigger_state" in sql]
    assert any("trigger_state_due" in step for step in claim), claim
    assert not any("TEMP B-TREE" in step for step in claim), claim

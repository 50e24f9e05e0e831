"""A simulation's scratch store undoes what failed, as `journey run`'s store does.

The daemon's shell runs each inbox item in a savepoint, so one bad item fails alone
(its writes undone, the batch kept); a simulation runs the same shell on a scratch
file, so the same item must leave the same store behind there. A transaction
that fails is undone whole, also after it wrote more than the page cache holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from journey.assembly import scratch_store
from journey.model import Contact
from journey.store.abc import StateStore
from journey.store.sqlite_connection import SCRATCH_CACHE_KIB


def contact(number: int, plan: str = "trial") -> Contact:
    return Contact(id=f"c{number:06d}", email=f"c{number}@example.com", attributes={"plan": plan})


def plans(store: StateStore, *ids: int) -> list[str | None]:
    found = store.get_contacts([contact(n).id for n in ids])
    return [
        found[c.id].attributes.get("plan") if c.id in found else None for c in map(contact, ids)
    ]


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    made = scratch_store(tmp_path / "simulation.db")
    yield made
    made.close()


def test_a_failed_unit_of_work_is_undone_alone(store: StateStore) -> None:
    store.put_contacts([contact(n) for n in range(3)])
    with store.transaction():
        store.put_contact(contact(0, "pro"))  # the item before: kept
        with pytest.raises(RuntimeError), store.savepoint():
            store.put_contact(contact(1, "pro"))
            store.put_contacts([contact(n, "pro") for n in range(3, 2000)])
            raise RuntimeError("the bad item")
        store.put_contact(contact(2, "pro"))  # the item after: kept
    assert plans(store, 0, 1, 2, 3, 1999) == ["pro", "trial", "pro", None, None]


def test_a_failed_transaction_bigger_than_the_page_cache_is_undone_whole(
    store: StateStore,
) -> None:
    store.put_contacts([contact(n) for n in range(10)])
    padding = "x" * 2000
    rows = SCRATCH_CACHE_KIB * 1024 // len(padding) + 10_000  # more than the cache holds
    with pytest.raises(RuntimeError), store.transaction():
        store.put_contacts(
            [
                Contact(id=f"c{n:06d}", attributes={"plan": "pro", "note": padding})
                for n in range(rows)
            ]
        )
        raise RuntimeError("undone")
    assert plans(store, 0, 9, 10, rows - 1) == ["trial", "trial", None, None]

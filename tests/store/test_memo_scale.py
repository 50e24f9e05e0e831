"""A simulation reads every waiting contact and enrollment again at each of its steps, with
all the others in between. While its scratch store is open a full decode memo keeps what it
holds instead of dropping its oldest (which would forget each before it is asked again), so
a population larger than the memo still finds the part it holds every time round; and a
contact is kept when read a second time (most are read once, as the entry events arrive).
The memos stay within a daemon's bounds; closing the store makes them drop their oldest
again."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from journey.store import codec, contact_rows, memo
from journey.store.url import open_scratch_store, open_store

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
KEPT = contact_rows._CONTACTS_KEPT


def row(number: int, notes: str = "") -> tuple[object, ...]:
    attributes = f'{{"notes":"{notes}","plan":"trial","visits":{number}}}'
    return (f"c{number}", f"c{number}@example.com", None, "en_GB", None, codec.ts(T0),
            '{"email":true}', attributes, "{}")  # fmt: skip


def entry_text(number: int) -> str:
    return codec.dumps(
        {"name": "cart_abandoned", "properties": {"cart": number}, "timestamp": codec.ts(T0)}
    )


@pytest.fixture
def empty_memos() -> Iterator[None]:
    contact_rows._CONTACTS.clear()
    codec._ENTRIES.clear()
    yield
    contact_rows._CONTACTS.clear()
    codec._ENTRIES.clear()


def test_a_simulation_decodes_each_contact_it_reads_again_once(
    tmp_path: Path, empty_memos: None
) -> None:
    waiting = range(KEPT // 2)
    store = open_scratch_store(tmp_path / "simulation.db")
    try:
        once = [codec.contact_from_row(row(n)) for n in waiting]
        assert contact_rows._CONTACTS == {}  # read once: not kept
        first = [codec.contact_from_row(row(n)) for n in waiting]
        assert first == once
        entries = [codec._read_entry(entry_text(n)) for n in waiting]
        # the next steps: every one read again, each answered by what was decoded
        for _step in range(2):
            assert all(codec.contact_from_row(row(n)) is first[n] for n in waiting)
            assert all(codec._read_entry(entry_text(n)) is entries[n] for n in waiting)
        changed = codec.contact_from_row(row(5, notes="moved"))
        assert changed is not first[5] and changed.attributes["notes"] == "moved"
        assert codec.contact_from_row(row(5, notes="moved")) is changed
    finally:
        store.close()


def test_a_population_larger_than_the_memo_finds_the_part_it_holds(
    tmp_path: Path, empty_memos: None
) -> None:
    population = range(3 * KEPT)
    store = open_scratch_store(tmp_path / "simulation.db")
    try:
        for _step in range(3):
            decoded = [codec.contact_from_row(row(n)) for n in population]
            texts = [codec._read_entry(entry_text(n)) for n in population]
        assert len(contact_rows._CONTACTS) == KEPT
        assert len(codec._ENTRIES) == codec._ENTRIES_KEPT
        assert all(codec.contact_from_row(row(n)) is decoded[n] for n in range(KEPT))
        assert all(codec._read_entry(entry_text(n)) is texts[n] for n in range(KEPT))
        last = population[-1]
        assert codec.contact_from_row(row(last)) is not decoded[last]  # decoded at every read
        assert codec.contact_from_row(row(last)) == decoded[last]
        seen = contact_rows._BOUND.seen
        assert seen is not None and len(seen) <= memo.SEEN_SHARE * KEPT
    finally:
        store.close()
    assert contact_rows._BOUND.seen == set()


def test_a_daemon_store_keeps_a_few_batches_the_oldest_going_first(
    tmp_path: Path, empty_memos: None
) -> None:
    store = open_store(tmp_path / "state.db")
    try:
        first = [codec.contact_from_row(row(n)) for n in range(3 * KEPT)]
        assert len(contact_rows._CONTACTS) <= KEPT
        assert codec.contact_from_row(row(0)) is not first[0]
        assert codec.contact_from_row(row(len(first) - 1)) is first[-1]
    finally:
        store.close()


def test_a_scratch_store_never_closed_stops_keeping_once_collected(
    tmp_path: Path, empty_memos: None
) -> None:
    store = open_scratch_store(tmp_path / "simulation.db")
    assert memo._scaled
    del store
    gc.collect()
    assert not memo._scaled
    once = codec.contact_from_row(row(1))
    assert codec.contact_from_row(row(1)) is once  # a daemon's memo: kept at the first read


def test_two_scratch_stores_keep_the_memos_as_a_simulation_s_until_both_are_closed(
    tmp_path: Path, empty_memos: None
) -> None:
    first = open_scratch_store(tmp_path / "one.db")
    second = open_scratch_store(tmp_path / "two.db")
    first.close()
    first.close()  # closing twice counts once
    assert memo._scaled
    second.close()
    assert not memo._scaled

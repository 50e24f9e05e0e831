"""A simulation reads every waiting contact and enrollment again at each of its steps, with
all the others in between. While its scratch store is open the decode memos keep that many
(bounded in entries and in characters taken in), and keep what they hold once full: a
population larger than a memo still finds the part it holds every time round. A contact
is kept when read a second time (most are read once, as the entry events arrive).
Closing the store trims the memos back to a daemon's few claimed batches."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from journey.store import codec, contact_rows, memo
from journey.store.url import open_scratch_store, open_store

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


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


def test_a_simulation_decodes_each_waiting_contact_and_entry_once(
    tmp_path: Path, empty_memos: None
) -> None:
    waiting = range(3 * contact_rows._CONTACTS_KEPT)  # more than a daemon keeps
    store = open_scratch_store(tmp_path / "simulation.db")
    try:
        once = [codec.contact_from_row(row(n)) for n in waiting]
        assert contact_rows._CONTACTS == {}  # read once: not kept
        first = [codec.contact_from_row(row(n)) for n in waiting]
        assert first == once
        entries = [codec._read_entry(entry_text(n)) for n in waiting]
        # the next step: every one read again, each answered by what was decoded
        assert all(codec.contact_from_row(row(n)) is first[n] for n in waiting)
        assert all(codec._read_entry(entry_text(n)) is entries[n] for n in waiting)
        changed = codec.contact_from_row(row(5, notes="moved"))
        assert changed is not first[5] and changed.attributes["notes"] == "moved"
        assert codec.contact_from_row(row(5, notes="moved")) is changed
    finally:
        store.close()
    assert len(contact_rows._CONTACTS) <= contact_rows._CONTACTS_KEPT
    assert len(codec._ENTRIES) <= codec._ENTRIES_KEPT
    assert codec.contact_from_row(row(len(waiting) - 1)) is first[-1]  # the newest stay


def test_a_daemon_store_keeps_a_few_batches_the_oldest_going_first(
    tmp_path: Path, empty_memos: None
) -> None:
    store = open_store(tmp_path / "state.db")
    try:
        first = [codec.contact_from_row(row(n)) for n in range(3 * contact_rows._CONTACTS_KEPT)]
        assert len(contact_rows._CONTACTS) <= contact_rows._CONTACTS_KEPT
        assert codec.contact_from_row(row(0)) is not first[0]
        assert codec.contact_from_row(row(len(first) - 1)) is first[-1]
    finally:
        store.close()


def test_a_population_larger_than_the_memo_finds_the_part_it_holds(
    tmp_path: Path, empty_memos: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memo, "SCALED_ENTRIES", 100)
    store = open_scratch_store(tmp_path / "simulation.db")
    try:
        for _step in range(3):
            decoded = [codec.contact_from_row(row(n)) for n in range(250)]
            texts = [codec._read_entry(entry_text(n)) for n in range(250)]
        assert len(contact_rows._CONTACTS) == 100 and len(codec._ENTRIES) == 100
        assert all(codec.contact_from_row(row(n)) is decoded[n] for n in range(100))
        assert all(codec._read_entry(entry_text(n)) is texts[n] for n in range(100))
        assert codec.contact_from_row(row(200)) is not decoded[200]  # decoded at every read
        assert codec.contact_from_row(row(200)) == decoded[200]
    finally:
        store.close()


def test_what_a_simulation_keeps_is_bounded_in_characters_too(
    tmp_path: Path, empty_memos: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memo, "SCALED_CHARACTERS", 100_000)
    store = open_scratch_store(tmp_path / "simulation.db")
    try:
        for _step in range(2):
            for n in range(100):
                codec.contact_from_row(row(n, notes="x" * 3000))
        kept = len(contact_rows._CONTACTS)
        assert 30 <= kept <= 33
        assert sum(len(r[7]) for r, _ in contact_rows._CONTACTS.values()) <= 100_000
    finally:
        store.close()


def test_a_scratch_store_never_closed_stops_scaling_the_memos_once_collected(
    tmp_path: Path, empty_memos: None
) -> None:
    store = open_scratch_store(tmp_path / "simulation.db")
    for n in [*range(3 * contact_rows._CONTACTS_KEPT)] * 2:
        codec.contact_from_row(row(n))
    assert len(contact_rows._CONTACTS) > contact_rows._CONTACTS_KEPT
    del store
    gc.collect()
    assert len(contact_rows._CONTACTS) <= contact_rows._CONTACTS_KEPT
    assert not memo._scaled


def test_two_scratch_stores_keep_the_memos_scaled_until_both_are_closed(
    tmp_path: Path, empty_memos: None
) -> None:
    first = open_scratch_store(tmp_path / "one.db")
    second = open_scratch_store(tmp_path / "two.db")
    first.close()
    first.close()  # closing twice counts once
    for n in [*range(3 * contact_rows._CONTACTS_KEPT)] * 2:
        codec.contact_from_row(row(n))
    assert len(contact_rows._CONTACTS) > contact_rows._CONTACTS_KEPT
    second.close()
    assert len(contact_rows._CONTACTS) <= contact_rows._CONTACTS_KEPT


def test_what_is_remembered_of_contacts_read_once_is_bounded(
    tmp_path: Path, empty_memos: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memo, "SCALED_SEEN", 50)
    store = open_scratch_store(tmp_path / "simulation.db")
    try:
        for n in range(500):
            codec.contact_from_row(row(n))
        seen = contact_rows._BOUND.seen
        assert seen is not None and 0 < len(seen) <= 50
        assert contact_rows._CONTACTS == {}
    finally:
        store.close()
    assert contact_rows._BOUND.seen == set()

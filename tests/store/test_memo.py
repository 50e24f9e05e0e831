"""The decode memos stay bounded and forget their oldest entries first, in batches so that
keeping one full costs O(1) per insert (not a walk over the slots of the ones dropped)."""

from __future__ import annotations

import time

from journey.store.memo import drop_oldest


def test_the_oldest_go_first_and_the_newest_stay() -> None:
    kept = {number: str(number) for number in range(64)}
    drop_oldest(kept)
    assert 0 not in kept and 63 in kept
    assert list(kept) == sorted(kept)  # what is left is the newest, in insertion order
    assert 48 <= len(kept) < 64


def test_even_a_memo_of_one_entry_drops_it() -> None:
    kept = {"only": 1}
    drop_oldest(kept)
    assert kept == {}
    drop_oldest(kept)  # an empty memo (another thread emptied it) is left empty


def test_a_full_memo_kept_full_costs_little_per_insert() -> None:
    kept: dict[int, int] = {}
    began = time.process_time()
    for number in range(200_000):
        if len(kept) >= 4096:
            drop_oldest(kept)
        kept[number] = number
    assert len(kept) <= 4096
    # one entry dropped per insert took ~0.5 s here (a walk over the dropped slots each time)
    assert time.process_time() - began < 0.4

"""Bounded memos of decoded rows: the oldest entries go first, and a simulation's keep more."""

from __future__ import annotations

import contextlib
import threading
from itertools import islice
from typing import Any

# The share of a full memo dropped at once. Dropping one entry per insert cost O(memo)
# each time: a dict keeps the slots of deleted entries until it is resized, and finding
# the oldest walks over all of them (3.5 % of a simulation's CPU). Dropping an eighth
# at once walks them once per eighth of inserts: amortized O(1).
_DROPPED_SHARE = 8


def drop_oldest(kept: dict[Any, Any]) -> None:
    """Forget the entries kept longest (insertion order): an eighth of them, at least one."""
    # another thread may have changed the memo meanwhile: it is only a memo
    with contextlib.suppress(RuntimeError):
        for key in list(islice(kept, len(kept) // _DROPPED_SHARE + 1)):
            kept.pop(key, None)


# A daemon's memo holds a few claimed batches: what is read again soon after. A simulation
# (a scratch store: one process, one run) reads every waiting contact and enrollment again
# at each of its steps, with all the others in between; a memo smaller than them forgets
# each before it is asked again, so it never answers and only costs its inserts. While a
# scratch store is open, a memo may take in up to SCALED_ENTRIES entries and
# SCALED_CHARACTERS characters of their texts (about 1.2 KiB + 4.2 bytes a character
# for a decoded contact: at most ~150 MiB a memo), and once it has, it keeps what it holds
# instead of dropping the oldest: a cycle over more than it holds still finds the part it
# holds every time round. Closing the last scratch store trims the memos back.
#
# Each decoded object kept costs at every full collection of the garbage collector (about
# 1 us a contact: 65,536 of them added a third to a 100k simulation's collections), so
# a memo told `second_sight` keeps only what is read a second time: a simulation first
# reads every contact once (the entry events' batches) and most never again.
SCALED_ENTRIES = 65_536
SCALED_CHARACTERS = 16 * 1024 * 1024
SCALED_SEEN = 4 * SCALED_ENTRIES  # keys read once, remembered until this many


class Bound:
    """What one memo (a dict, oldest first) may hold."""

    __slots__ = ("characters", "entries", "kept", "memo", "seen")

    def __init__(self, memo: dict[Any, Any], kept: int, *, second_sight: bool = False) -> None:
        self.memo = memo
        self.kept = kept  # a daemon's bound: the oldest go first beyond it
        self.entries = 0  # taken in, and characters of their texts, while scaled
        self.characters = 0
        self.seen: set[Any] | None = set() if second_sight else None
        _BOUNDS.append(self)

    def room(self, size: int, new: bool, key: Any = None) -> bool:
        """Whether the memo may keep one more entry (`new`: not replacing one) of a text of
        `size` characters under `key`; beyond a daemon's bound the oldest are dropped."""
        if _scaled:
            if self.entries >= SCALED_ENTRIES or self.characters + size > SCALED_CHARACTERS:
                return False
            seen = self.seen
            if seen is not None and new and key not in seen:
                if len(seen) >= SCALED_SEEN:
                    seen.clear()
                seen.add(key)
                return False
            self.entries += 1
            self.characters += size
            return True
        if new and len(self.memo) >= self.kept:
            drop_oldest(self.memo)
        return True

    def trim(self) -> None:
        """Back to a daemon's bound: the oldest go."""
        with contextlib.suppress(RuntimeError):
            for key in list(islice(self.memo, max(0, len(self.memo) - self.kept))):
                self.memo.pop(key, None)
        self.entries = self.characters = 0
        if self.seen is not None:
            self.seen.clear()


_BOUNDS: list[Bound] = []
_scratch_stores = 0  # open in this process
_scaled = False
_lock = threading.Lock()


def scratch_store_opened() -> None:
    """The memos may keep a simulation's contacts and enrollments (see SCALED_ENTRIES)."""
    global _scratch_stores, _scaled
    with _lock:
        _scratch_stores += 1
        _scaled = True


def scratch_store_closed() -> None:
    """With the last scratch store closed, the memos are trimmed to a daemon's bounds."""
    global _scratch_stores, _scaled
    with _lock:
        _scratch_stores -= 1
        if _scratch_stores > 0:
            return
        _scaled = False
        for bound in _BOUNDS:
            bound.trim()

"""Bounded memos of decoded rows: the oldest entries go first, a simulation's keep theirs."""

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


# A daemon's memo holds a few claimed batches: what is read again soon after; the oldest go
# first. A simulation (a scratch store: one process, one run) reads every waiting contact
# and enrollment again at each of its steps, with all the others in between: past a few
# thousand of them, dropping the oldest forgets each before it is asked again, and the
# memo only costs its inserts and drops. So while a scratch store is open a full memo keeps
# what it holds (a cycle over more than it holds still finds that part every time round),
# and a memo told `second_sight` keeps only what is read a second time: a simulation first
# reads every contact once, as the entry events arrive, and most never again.
#
# The memos keep a daemon's bounds even then: each decoded object kept costs at every full
# collection of the garbage collector (65,536 contacts and their entries took a 100k
# abandoned_cart's from 5.4 s to 8.3 s and its peak RSS from 205 to 437 MiB, more than
# decoding them again costs: 2.7 us a contact).
SEEN_SHARE = 4  # keys read once remembered (then forgotten at once): this many times `kept`


class Bound:
    """What one memo (a dict, oldest first) may hold."""

    __slots__ = ("kept", "memo", "seen")

    def __init__(self, memo: dict[Any, Any], kept: int, *, second_sight: bool = False) -> None:
        self.memo = memo
        self.kept = kept  # beyond it the oldest go first (a daemon's) or nothing is added
        self.seen: set[Any] | None = set() if second_sight else None
        _BOUNDS.append(self)

    def room(self, new: bool, key: Any = None) -> bool:
        """Whether the memo may keep one more entry under `key` (`new`: not replacing one)."""
        if not new:
            return True
        if not _scaled:
            if len(self.memo) >= self.kept:
                drop_oldest(self.memo)
            return True
        if len(self.memo) >= self.kept:
            return False
        seen = self.seen
        if seen is not None and key not in seen:
            if len(seen) >= SEEN_SHARE * self.kept:
                seen.clear()
            seen.add(key)
            return False
        return True


_BOUNDS: list[Bound] = []
_scratch_stores = 0  # open in this process
_scaled = False
_lock = threading.Lock()


def scratch_store_opened() -> None:
    """A simulation runs in this process: the memos keep what they hold once full."""
    global _scratch_stores, _scaled
    with _lock:
        _scratch_stores += 1
        _scaled = True


def scratch_store_closed() -> None:
    """With the last scratch store closed, the memos drop their oldest again."""
    global _scratch_stores, _scaled
    with _lock:
        _scratch_stores -= 1
        if _scratch_stores > 0:
            return
        _scaled = False
        for bound in _BOUNDS:
            if bound.seen is not None:
                bound.seen.clear()

"""Bounded memos of decoded rows: the oldest entries go first."""

from __future__ import annotations

import contextlib
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

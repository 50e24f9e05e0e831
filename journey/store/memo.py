"""Bounded memos of decoded rows: the oldest entry goes first."""

from __future__ import annotations

import contextlib
from typing import Any


def drop_oldest(kept: dict[Any, Any]) -> None:
    """Forget the entry kept longest (insertion order)."""
    # another thread may have taken the oldest first
    with contextlib.suppress(KeyError, RuntimeError, StopIteration):
        del kept[next(iter(kept))]

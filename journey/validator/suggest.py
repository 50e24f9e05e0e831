"""Did-you-mean hints: the nearest known word to a misspelt one.

Marketers mistype keys, step ids, attributes and zone names; a hint naming the
word they probably meant saves a round trip to the docs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(
    word: str, candidates: Iterable[str], *, limit: int = 1, cutoff: float = 0.6
) -> list[str]:
    """The candidates nearest to ``word``, best first; case is ignored when comparing."""
    pool = sorted({c for c in candidates if isinstance(c, str)})
    if not isinstance(word, str) or not pool:
        return []
    by_folded: dict[str, str] = {}
    for candidate in pool:
        by_folded.setdefault(candidate.lower(), candidate)
    folded = word.lower()
    if folded in by_folded and by_folded[folded] != word:
        return [by_folded[folded]]
    matches = difflib.get_close_matches(folded, list(by_folded), n=limit, cutoff=cutoff)
    return [by_folded[m] for m in matches]


def did_you_mean(word: str, candidates: Iterable[str], *, limit: int = 1) -> str | None:
    """``did you mean `first_name`?`` or None when nothing is close."""
    matches = closest(word, candidates, limit=limit)
    if not matches:
        return None
    return "did you mean " + " or ".join(f"`{m}`" for m in matches) + "?"


def sentence(*parts: str | None) -> str | None:
    """Join hint fragments, each starting with a capital, skipping the empty ones."""
    kept = [p[0].upper() + p[1:] for p in parts if p]
    return " ".join(kept) if kept else None


def listing(names: Iterable[str], *, limit: int = 12) -> str:
    """```a`, `b`, `c``` (shortened with an ellipsis when long)."""
    ordered = sorted(names)
    shown = ", ".join(f"`{n}`" for n in ordered[:limit])
    return shown + (", …" if len(ordered) > limit else "") if ordered else "(none)"

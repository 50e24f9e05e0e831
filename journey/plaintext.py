"""Markdown inline text -> plain text, for places that show no Markdown (terminals, tooltips)."""

from __future__ import annotations

import re

_CODE = re.compile(r"`([^`]*)`")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_STRONG = re.compile(r"\*\*([^*]+)\*\*")
MARKDOWN = re.compile(r"`|\*\*|\]\(")


def plain_text(markdown: str) -> str:
    """Inline code, links and strong emphasis unwrapped; whitespace folded."""
    text = _LINK.sub(r"\1", _STRONG.sub(r"\1", _CODE.sub(r"\1", markdown)))
    return " ".join(text.split())


def has_markdown(text: str) -> bool:
    return MARKDOWN.search(text) is not None

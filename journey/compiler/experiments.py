"""A split's `auto_winner:` block -> AutoWinner (the validator has reported anything wrong)."""

from __future__ import annotations

from typing import Any

from journey.durations import parse_duration
from journey.model import AutoWinner

DEFAULT_CONFIDENCE = 0.95
CONVERSION_PREFIX = "conversion:"


def parse_metric(text: str) -> tuple[str, str | None]:
    """`goal` | `clicked` | `conversion:<event>` -> (metric, event); anything else -> ("", None)."""
    if text in ("goal", "clicked"):
        return text, None
    if text.startswith(CONVERSION_PREFIX) and text[len(CONVERSION_PREFIX) :].strip():
        return "conversion", text[len(CONVERSION_PREFIX) :].strip()
    return "", None


def build_auto_winner(value: Any) -> AutoWinner | None:
    if not isinstance(value, dict):
        return None
    metric, event = parse_metric(str(value.get("metric", "")))
    after = value.get("after")
    sample = value.get("sample")
    confidence = value.get("confidence", DEFAULT_CONFIDENCE)
    return AutoWinner(
        metric=metric,
        event=event,
        after=parse_duration(after) if isinstance(after, str) else None,
        sample=sample if isinstance(sample, int) and not isinstance(sample, bool) else None,
        confidence=float(confidence),
    )

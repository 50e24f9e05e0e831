"""What counts as a conversion: the workspace's `conversions:` block, read tolerantly.

Building is tolerant (a wrong value falls back to its default, like the rest of
the workspace); the validator reports what is wrong, with its location
(journey.validator.semantic_conversions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from journey.durations import parse_duration
from journey.model import Duration

DEFAULT_WINDOW = Duration(calendar_days=7, text="7d")


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversionEvent:
    """An event that counts as a conversion, and where its value and currency are."""

    name: str
    value: str | None = None  # property holding a number
    currency: str | None = None  # property holding an ISO 4217 code
    default_currency: str | None = None

    def amount(self, properties: dict[str, Any]) -> tuple[float, str] | None:
        """(value, currency) of one event, or None when it carries no usable value."""
        if self.value is None:
            return None
        raw = properties.get(self.value)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return None
        currency = properties.get(self.currency) if self.currency else None
        if not isinstance(currency, str) or not currency.strip():
            currency = self.default_currency
        return float(raw), (currency or "").strip().upper() or "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversionSettings:
    window: Duration = DEFAULT_WINDOW
    events: dict[str, ConversionEvent] = field(default_factory=dict)


def build_conversions(value: Any) -> ConversionSettings:
    """The `conversions:` mapping as settings; anything malformed is left out."""
    if not isinstance(value, dict):
        return ConversionSettings()
    window = DEFAULT_WINDOW
    if isinstance(value.get("window"), str):
        try:
            window = parse_duration(value["window"])
        except ValueError:
            window = DEFAULT_WINDOW
    events: dict[str, ConversionEvent] = {}
    raw_events = value.get("events")
    for name, spec in raw_events.items() if isinstance(raw_events, dict) else ():
        spec = spec if isinstance(spec, dict) else {}
        events[str(name)] = ConversionEvent(
            name=str(name),
            value=_text(spec.get("value")),
            currency=_text(spec.get("currency")),
            default_currency=_text(spec.get("default_currency")),
        )
    return ConversionSettings(window=window, events=events)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None

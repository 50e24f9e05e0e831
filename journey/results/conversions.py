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
DEFAULT_INACTIVE_AFTER = Duration(calendar_days=30, text="30d")
DEFAULT_LIFETIME_DAYS = 90


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
class Survey:
    """A survey whose answers are scored: NPS (0–10) or CSAT (1–`scale`)."""

    name: str
    kind: str  # nps | csat
    event: str
    score: str  # property holding the score
    scale: int = 5  # csat only: the top score
    match: dict[str, Any] = field(default_factory=dict)  # properties the event must have

    def score_of(self, name: str, properties: dict[str, Any]) -> float | None:
        """The answer's score, or None when the event is not an answer to this survey."""
        if name != self.event or any(properties.get(k) != v for k, v in self.match.items()):
            return None
        raw = properties.get(self.score)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return None
        top = 10 if self.kind == "nps" else self.scale
        low = 0 if self.kind == "nps" else 1
        return float(raw) if low <= raw <= top else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChurnRule:
    """A contact churns when `inactive_after` passes with none of the `activity` events."""

    inactive_after: Duration = DEFAULT_INACTIVE_AFTER
    activity: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversionSettings:
    window: Duration = DEFAULT_WINDOW
    events: dict[str, ConversionEvent] = field(default_factory=dict)
    surveys: dict[str, Survey] = field(default_factory=dict)
    churn: ChurnRule | None = None  # None: no activity declared, no churn or retention
    lifetime_value_days: int = DEFAULT_LIFETIME_DAYS


def build_churn(value: Any) -> ChurnRule | None:
    """The `churn:` mapping; without activity events there is no rule."""
    if not isinstance(value, dict):
        return None
    names = value.get("activity")
    activity = tuple(str(n) for n in names if isinstance(n, str)) if isinstance(names, list) else ()
    if not activity:
        return None
    inactive_after = DEFAULT_INACTIVE_AFTER
    if isinstance(value.get("inactive_after"), str):
        try:
            inactive_after = parse_duration(value["inactive_after"])
        except ValueError:
            inactive_after = DEFAULT_INACTIVE_AFTER
    return ChurnRule(inactive_after=inactive_after, activity=activity)


def build_lifetime_days(value: Any) -> int:
    """`lifetime_value: {days: N}`; anything else is the default."""
    days = value.get("days") if isinstance(value, dict) else None
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        return DEFAULT_LIFETIME_DAYS
    return days


def build_surveys(value: Any) -> dict[str, Survey]:
    """The `surveys:` mapping; an entry without an event or score property is left out."""
    surveys: dict[str, Survey] = {}
    for name, spec in value.items() if isinstance(value, dict) else ():
        if not isinstance(spec, dict):
            continue
        event, score = _text(spec.get("event")), _text(spec.get("score"))
        kind = spec.get("kind", "nps")
        if event is None or score is None or kind not in ("nps", "csat"):
            continue
        scale = spec.get("scale", 5)
        if isinstance(scale, bool) or not isinstance(scale, int) or scale < 2:
            scale = 5
        match = spec.get("match")
        surveys[str(name)] = Survey(
            name=str(name),
            kind=kind,
            event=event,
            score=score,
            scale=scale,
            match=dict(match) if isinstance(match, dict) else {},
        )
    return surveys


def build_conversions(
    value: Any, surveys: Any = None, churn: Any = None, lifetime_value: Any = None
) -> ConversionSettings:
    """The `conversions:` (and `surveys:`, `churn:`, `lifetime_value:`) mappings as settings;
    anything malformed is left out."""
    lifecycle: dict[str, Any] = {
        "surveys": build_surveys(surveys),
        "churn": build_churn(churn),
        "lifetime_value_days": build_lifetime_days(lifetime_value),
    }
    if not isinstance(value, dict):
        return ConversionSettings(**lifecycle)
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
    return ConversionSettings(window=window, events=events, **lifecycle)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None

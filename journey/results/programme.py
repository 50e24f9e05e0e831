"""The programme's incremental lift: the workspace's holdout group against everyone else.

Every contact in the store is in the holdout group or not (journey.holdout);
no marketing journey enrolls a member, so comparing the two groups' conversions
(any declared conversion event in the report's period) measures what all the
marketing journeys together add. Intention to treat: "reached" is everyone not
held out, whether or not a message happened to go out to them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from journey.holdout import Holdout
from journey.model import Event
from journey.results import stats
from journey.results.conversions import ConversionSettings
from journey.store.result_rows import MessageTouch


def programme_lift(
    holdout: Holdout,
    contact_ids: Iterable[str],
    events: Sequence[Event],
    touches: Sequence[MessageTouch],
    settings: ConversionSettings,
    confidence: float,
) -> dict[str, Any]:
    """The report's `programme` entry: both groups, the difference and its interval."""
    converted: set[str] = set()
    amounts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for event in events:
        rule = settings.events.get(event.name)
        if rule is None:
            continue
        converted.add(event.contact_id)
        amount = rule.amount(event.properties)
        if amount is not None:
            amounts[event.contact_id][amount[1]] += amount[0]
    held: list[str] = []
    reached: list[str] = []
    for contact_id in contact_ids:
        (held if holdout.holds_out(contact_id) else reached).append(contact_id)
    marketing = {t.contact_id for t in touches if t.category == "marketing" and t.reached_contact}
    currencies = sorted({c for per in amounts.values() for c in per})
    groups = {
        "held_out": _group(held, converted, amounts, currencies, confidence),
        "reached": _group(reached, converted, amounts, currencies, confidence),
    }
    x1, n1 = groups["reached"]["converted"], groups["reached"]["contacts"]
    x2, n2 = groups["held_out"]["converted"], groups["held_out"]["contacts"]
    low, high = stats.newcombe_interval(x1, n1, x2, n2, confidence)
    test = stats.compare_proportions(x1, n1, x2, n2)
    rate1, rate2 = groups["reached"]["conversion_rate"], groups["held_out"]["conversion_rate"]
    revenue_lift = {}
    for currency in currencies:
        difference, d_low, d_high = stats.mean_difference_interval(
            [amounts[c].get(currency, 0.0) for c in reached],
            [amounts[c].get(currency, 0.0) for c in held],
            confidence,
        )
        revenue_lift[currency] = {"difference": difference, "interval": [d_low, d_high]}
    return {
        "percent": holdout.percent,
        "salt": holdout.salt,
        "conversion": "any declared conversion event in the period",
        **groups,
        "messaged": sum(1 for c in reached if c in marketing),
        "held_out_messaged": sum(1 for c in held if c in marketing),
        "difference": (rate1 or 0.0) - (rate2 or 0.0),
        "interval": [low, high],
        "relative": (rate1 / rate2 - 1) if rate1 is not None and rate2 else None,
        "method": test.method,
        "p_value": test.p_value,
        "revenue_per_contact_difference": revenue_lift,
    }


def _group(
    members: list[str],
    converted: set[str],
    amounts: dict[str, dict[str, float]],
    currencies: list[str],
    confidence: float,
) -> dict[str, Any]:
    done = sum(1 for c in members if c in converted)
    low, high = stats.wilson_interval(done, len(members), confidence)
    revenue = {}
    for currency in currencies:
        mean, m_low, m_high = stats.mean_interval(
            [amounts[c].get(currency, 0.0) for c in members] if members else [], confidence
        )
        revenue[currency] = {"mean": mean, "interval": [m_low, m_high]}
    return {
        "contacts": len(members),
        "converted": done,
        "conversion_rate": done / len(members) if members else None,
        "interval": [low, high],
        "revenue_per_contact": revenue,
    }

"""The bundled sample population: Fika & Co. customers in Sweden, China and the US.

Generated from a fixed seed, so every demo run sees the same people and the same
three weeks of behaviour: trial sign-ups, taste profiles, orders, surveys,
churn-risk scores from the data team, and birthdays coming up. The demo writes
the result as contacts.jsonl / events.jsonl next to its database, in the shape
`journey contacts import`, `journey ingest` and `journey simulate` read.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

MARKETS = (
    ("SE", "sv-SE", "Europe/Stockholm", "SEK", ("Astrid", "Linnea", "Oskar", "Elsa", "Nils")),
    ("CN", "zh-CN", "Asia/Shanghai", "CNY", ("丽", "伟", "芳", "静", "磊")),
    ("US", "en-US", "America/New_York", "USD", ("Sam", "Maya", "Jordan", "Ava", "Leo")),
)
PLANS = ("trial", "monthly", "fortnightly", "weekly", "paused", "cancelled")
PLAN_WEIGHTS = (30, 30, 15, 10, 8, 7)
BREW = ("pour_over", "espresso", "french_press", "aeropress", "moka")


@dataclass(frozen=True, slots=True)
class TimedRecord:
    """A contact change or an event, at the instant it reaches the daemon."""

    at: datetime
    kind: str  # contact | event
    record: dict[str, Any]


COFFEES = ("Ethiopia Yirgacheffe 250 g", "Colombia Huila 250 g", "Kenya AA 250 g")


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def contacts(start: datetime, count: int, seed: int = 2026) -> list[dict[str, Any]]:
    """Existing customers (subscribers and lapsed ones) as of `start`."""
    rng = random.Random(seed)
    people = []
    for n in range(count):
        country, locale, zone, currency, names = MARKETS[n % len(MARKETS)]
        plan = rng.choices(PLANS[1:], PLAN_WEIGHTS[1:])[0]
        created = start - timedelta(days=rng.randint(20, 400))
        orders = rng.randint(0, 12) if plan != "cancelled" else rng.randint(1, 3)
        birthday_in = rng.randint(8, 27)  # some birthdays fall inside the demo's window
        born = (start + timedelta(days=birthday_in)).replace(year=rng.randint(1965, 2002))
        people.append(
            {
                "id": f"c-{n:04d}",
                "email": f"customer{n:04d}@example.com",
                "phone": f"+4670{n:07d}" if country == "SE" else None,
                "locale": locale,
                "timezone": zone,
                "created_at": _iso(created),
                "consent": {"email": rng.random() < 0.92, "sms": rng.random() < 0.4, "push": True},
                "first_name": names[n % len(names)],
                "country": country,
                "currency": currency,
                "plan": plan,
                "lifecycle_stage": "active" if plan in PLANS[1:4] else "dormant",
                "digest_opt_in": rng.random() < 0.6,
                "brew_method": rng.choice(BREW),
                "order_count": orders,
                "lifetime_value": orders * rng.choice((149, 189, 229)),
                "last_order_at": _iso(start - timedelta(days=rng.randint(3, 200))),
                "churn_risk": round(rng.random() * 0.5, 2),
                "nps_score": rng.randint(3, 8),
                "referral_code": f"FIKA{n:04d}",
                "referrals_completed": 0,
                "points": orders * 10,
                "tier": "silver" if orders >= 6 else "bronze",
                "birthday": born.date().isoformat() if rng.random() < 0.25 else None,
            }
        )
    return people


def timeline(
    start: datetime, people: list[dict[str, Any]], days: int, trials: int, seed: int = 2026
) -> list[TimedRecord]:
    """Three weeks of what happens to them, plus `trials` new trial sign-ups."""
    rng = random.Random(seed + 1)
    end = start + timedelta(days=days)
    items: list[TimedRecord] = []

    def at(low: float, high: float) -> datetime:
        return start + timedelta(hours=rng.uniform(low * 24, min(high, days) * 24))

    for n in range(trials):
        country, locale, zone, currency, names = MARKETS[n % len(MARKETS)]
        contact_id = f"t-{n:04d}"
        joined = at(0, days * 0.6)
        items.append(
            TimedRecord(
                at=joined,
                kind="contact",
                record={
                    "id": contact_id,
                    "email": f"trial{n:04d}@example.com",
                    "phone": f"+4673{n:07d}" if country == "SE" else None,
                    "locale": locale,
                    "timezone": zone,
                    "created_at": _iso(joined),
                    # Half of the Swedish trials gave a phone number and said yes to texts.
                    "consent": {"email": True, "push": True, "sms": country == "SE" and n % 2 == 0},
                    "first_name": names[(n + 2) % len(names)],
                    "country": country,
                    "currency": currency,
                    "plan": "trial",
                    "lifecycle_stage": "new",
                    "order_count": 0,
                    "points": 0,
                },
            )
        )
        items.append(_event(joined, "signed_up", contact_id, {"plan": "trial", "source": "web"}))
        if rng.random() < 0.5:
            done = joined + timedelta(hours=rng.uniform(2, 96))
            items.append(
                _event(done, "taste_profile_completed", contact_id, {"roast_level": "medium"})
            )
        if rng.random() < 0.25:  # a cart left behind; some come back and change it
            items.extend(
                _carts(joined + timedelta(hours=rng.uniform(1, 48)), contact_id, currency, rng)
            )
        if rng.random() < 0.3:
            paid = joined + timedelta(days=rng.uniform(2, 10))
            properties = {"plan": "monthly", "price": 189, "currency": currency}
            items.append(_event(paid, "subscription_started", contact_id, properties))
    for person in people:
        contact_id = person["id"]
        if person["plan"] in PLANS[1:4] and rng.random() < 0.7:
            for _ in range(rng.randint(1, 3)):
                total = rng.choice((149.0, 189.0, 229.0, 378.0))
                order_id = f"o-{rng.randrange(10**8):08d}"
                properties = {
                    "order_id": order_id,
                    "total": total,
                    "currency": person["currency"],
                    "bags": rng.randint(1, 3),
                }
                placed = at(0, days)
                items.append(_event(placed, "order_placed", contact_id, properties))
                if rng.random() < 0.6:
                    items.extend(_delivery(placed, order_id, contact_id, rng))
        if rng.random() < 0.5:
            items.append(_event(at(0, days), "session_started", contact_id, {"platform": "ios"}))
        if person["plan"] in PLANS[1:4] and rng.random() < 0.15:
            items.append(
                TimedRecord(at=at(2, days - 4), kind="contact", record=_risk(contact_id, rng))
            )
        if rng.random() < 0.12:
            survey_at = at(1, days - 3)
            properties = {"survey": "nps", "score": 10, "reason": "taste"}
            items.append(_event(survey_at, "survey_completed", contact_id, properties))
            update = {"id": contact_id, "nps_score": 10}
            items.append(TimedRecord(at=survey_at, kind="contact", record=update))
    items = [item for item in items if item.at < end]
    items.sort(key=lambda item: (item.at, item.kind != "contact"))
    return items


def _carts(
    left_at: datetime, contact_id: str, currency: str, rng: random.Random
) -> list[TimedRecord]:
    """`cart_abandoned`, and for one in three a second, changed cart a few hours later."""
    carts = [left_at]
    if rng.random() < 0.33:
        carts.append(left_at + timedelta(hours=rng.uniform(2, 10)))
    found = []
    for n, at in enumerate(carts):
        bags = rng.randint(1, 3) + n
        properties = {
            "items": [{"name": rng.choice(COFFEES), "quantity": bags}],
            "total": 149.0 * bags,
            "currency": currency,
        }
        found.append(_event(at, "cart_abandoned", contact_id, properties))
    return found


def _delivery(
    placed: datetime, order_id: str, contact_id: str, rng: random.Random
) -> list[TimedRecord]:
    """The box arrives; half of those asked answer the NPS survey, scores spread 0-10."""
    delivered = placed + timedelta(days=rng.uniform(1, 3))
    found = [_event(delivered, "order_delivered", contact_id, {"order_id": order_id})]
    if rng.random() < 0.5:
        answered = delivered + timedelta(days=2, hours=rng.uniform(1, 72))
        score = rng.choice((3, 5, 6, 7, 8, 9, 9, 10, 10, 10))
        reason = "taste" if score >= 9 else "late delivery" if score <= 6 else "fine"
        properties = {"survey": "nps", "score": score, "reason": reason}
        found.append(_event(answered, "survey_completed", contact_id, properties))
    return found


def _risk(contact_id: str, rng: random.Random) -> dict[str, Any]:
    """The data team's nightly model flags a subscriber as likely to churn."""
    return {"id": contact_id, "churn_risk": round(0.75 + rng.random() * 0.2, 2)}


def _event(at: datetime, name: str, contact_id: str, properties: dict[str, Any]) -> TimedRecord:
    record = {
        "id": f"{name}-{contact_id}-{int(at.timestamp())}",
        "name": name,
        "contact_id": contact_id,
        "timestamp": _iso(at),
        "properties": properties,
    }
    return TimedRecord(at=at, kind="event", record=record)

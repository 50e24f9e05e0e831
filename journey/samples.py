"""The built-in sample contacts the review site renders every message for, and
`journey validate` renders each send step with (no site dependencies here).

Three people a marketer can picture — an American, a Swede and a Chinese
subscriber — with plausible values for the attributes the workspace declares,
so previews show real names, currencies and dates instead of blanks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from journey.ingest.records import contact_from_record
from journey.model import Contact

_SHARED: dict[str, Any] = {
    "plan": "trial",
    "lifecycle_stage": "new",
    "unsubscribed": False,
    "digest_opt_in": True,
    "taste_profile_progress": 0.4,
    "churn_risk": 0.7,
    "churn_reason": "price",
    "nps_score": 9,
    "referrals_completed": 1,
    "tier": "silver",
    "birthday_reward_year": 2025,
}

_PERSONAS: tuple[dict[str, Any], ...] = (
    {
        "id": "sample-emma",
        "first_name": "Emma",
        "last_name": "Johnson",
        "email": "emma.johnson@example.com",
        "phone": "+12025550143",
        "locale": "en-US",
        "timezone": "America/New_York",
        "country": "US",
        "currency": "USD",
        "brew_method": "aeropress",
        "favourite_roast": "Ethiopia Guji, light roast",
        "order_count": 3,
        "lifetime_value": 142.5,
        "points": 1240,
        "referral_code": "EMMA10",
        "winback_code": "COMEBACK25",
        "retention_offer": "25% off your next three boxes",
        "birthday": "1991-04-12",
    },
    {
        "id": "sample-astrid",
        "first_name": "Astrid",
        "last_name": "Lindqvist",
        "email": "astrid.lindqvist@example.se",
        "phone": "+46701234567",
        "locale": "sv-SE",
        "timezone": "Europe/Stockholm",
        "country": "SE",
        "currency": "SEK",
        "brew_method": "pour_over",
        "favourite_roast": "Kenya Nyeri, medium roast",
        "order_count": 7,
        "lifetime_value": 2840.0,
        "points": 3150,
        "referral_code": "ASTRID10",
        "winback_code": "VALKOMMEN25",
        "retention_offer": "25 % rabatt på tre leveranser",
        "birthday": "1987-11-03",
    },
    {
        "id": "sample-wang",
        "first_name": "芳",
        "last_name": "王",
        "email": "wang.fang@example.cn",
        "phone": "+8613800138000",
        "locale": "zh-CN",
        "timezone": "Asia/Shanghai",
        "country": "CN",
        "currency": "CNY",
        "brew_method": "french_press",
        "favourite_roast": "云南保山, 中度烘焙",
        "order_count": 2,
        "lifetime_value": 968.0,
        "points": 860,
        "referral_code": "FANG10",
        "winback_code": "HUANYING25",
        "retention_offer": "三次配送享七五折",
        "birthday": "1995-02-28",
    },
)

_RESERVED = ("id", "email", "phone", "locale", "timezone")
_BY_TYPE: dict[str, Any] = {"string": "", "number": 0, "boolean": False, "list": []}


@dataclass(frozen=True, slots=True)
class SampleContact:
    """A contact plus how the site names it (`Astrid Lindqvist, sv-SE, Europe/Stockholm`)."""

    contact: Contact
    name: str
    summary: str


def sample_contacts(declared: Mapping[str, str] | None, now: datetime) -> list[SampleContact]:
    """The personas, limited to (and completed for) the declared contact attributes."""
    return [_sample(persona, declared, now) for persona in _PERSONAS]


def _sample(
    persona: dict[str, Any], declared: Mapping[str, str] | None, now: datetime
) -> SampleContact:
    times = {
        "trial_ends_at": (now + timedelta(days=12)).isoformat(),
        "last_order_at": (now - timedelta(days=40)).isoformat(),
    }
    values = {**_SHARED, **times, **persona}
    record: dict[str, Any] = {key: values[key] for key in _RESERVED}
    record["created_at"] = (now - timedelta(days=3)).isoformat()
    record["consent"] = {"email": True, "sms": True, "push": True}
    names = declared if declared is not None else {k: "" for k in values if k not in _RESERVED}
    for attribute, kind in names.items():
        if attribute in values:
            record[attribute] = values[attribute]
        elif kind == "date":
            record[attribute] = now.date().isoformat()
        elif kind == "datetime":
            record[attribute] = now.isoformat()
        else:
            record[attribute] = _BY_TYPE.get(kind, "")
    contact = contact_from_record(record, now=now)
    name = " ".join(str(persona[k]) for k in ("first_name", "last_name"))
    if persona["country"] == "CN":
        name = f"{persona['last_name']}{persona['first_name']}"
    summary = f"{persona['locale']}, {persona['timezone']}, {persona['currency']}"
    return SampleContact(contact=contact, name=name, summary=summary)

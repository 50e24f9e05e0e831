"""A customer base and a month of their events, as files for `journey simulate`.

The contacts are bench.simulate's (every attribute the example journeys read);
each contact then does a few things of what the examples react to — signs up,
leaves a cart, orders, answers the survey — at random moments around the start,
some before it (history). A few events come from people not in the contacts file.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.simulate import START, contact

ACTIONS: tuple[tuple[str, Callable[[random.Random], dict[str, Any]]], ...] = (
    ("signed_up", lambda rng: {"plan": rng.choice(["trial", "monthly"])}),
    ("cart_abandoned", lambda rng: {"total": rng.randint(5, 90), "currency": "SEK"}),
    ("order_placed", lambda rng: {"total": rng.randint(1, 400) / 4, "currency": "SEK"}),
    ("order_delivered", lambda rng: {}),
    ("subscription_started", lambda rng: {"price": 99.5, "currency": "SEK"}),
    ("survey_completed", lambda rng: {"survey": "nps", "score": rng.randint(0, 10)}),
    ("taste_profile_completed", lambda rng: {}),
    ("referral_converted", lambda rng: {}),
    ("preferences_updated", lambda rng: {}),
    ("account_deleted", lambda rng: {}),
)


def write_population(folder: Path, size: int, *, seed: int = 11) -> tuple[Path, Path]:
    """contacts.jsonl and events.jsonl of `size` contacts in `folder`."""
    rng = random.Random(seed)
    contacts = folder / "contacts.jsonl"
    events = folder / "events.jsonl"
    with contacts.open("w", encoding="utf-8") as out:
        for number in range(size):
            out.write(json.dumps(contact(number, rng)) + "\n")
    records: list[dict[str, Any]] = []
    for number in [*range(size), *range(size, size + 3)]:  # the last three are not contacts
        for _ in range(rng.randint(1, 5)):
            name, properties = rng.choice(ACTIONS)
            at = START + timedelta(hours=rng.randint(-24 * 100, 24 * 20))
            records.append(_event(len(records), f"c{number}", name, at, properties(rng)))
    rng.shuffle(records)  # files need not be in time order
    with events.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    return contacts, events


def _event(
    number: int, contact_id: str, name: str, at: datetime, properties: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": f"e{number}",
        "name": name,
        "contact_id": contact_id,
        "timestamp": at.isoformat(),
        "properties": properties,
    }

"""The demo's closing summary: what was sent, to whom, in which language, and who left why."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from journey.store.abc import StateStore

SAMPLE_LOCALES = ("sv", "zh_Hans", "en")


def render_summary(
    store: StateStore,
    journey_ids: list[str],
    *,
    outbox: Path,
    database: str,
    records: list[dict[str, Any]],
    counts: dict[str, int],
    days: int,
    start: datetime,
    seconds: float,
    workers: list[tuple[str, int, int]] | None = None,
) -> str:
    """The closing summary; `workers` (PostgreSQL): each worker's name, shards and messages."""
    messages = [r for r in records if r.get("kind") == "message"]
    webhooks = [r for r in records if r.get("kind") == "webhook"]
    end = start + timedelta(days=days)
    lines = [
        f"journey run --demo: {days} simulated days ({start:%Y-%m-%d} -> {end:%Y-%m-%d}) "
        f"in {seconds:.1f} s of real time",
        f"  {counts['contacts']} contacts, {counts['events']} events, "
        f"{len(messages)} messages and {len(webhooks)} webhook calls delivered",
        "",
        "Sends per journey and step (channel: count per locale)",
    ]
    lines += _sends_table(messages, journey_ids)
    lines += ["", "Sample sends"]
    lines += _samples(messages)
    lines += ["", "Enrollments and exits by reason"]
    for journey_id in sorted(set(journey_ids) | set(store.journey_ids())):
        jc = store.journey_counts(journey_id)
        exits = ", ".join(f"{reason} {n}" for reason, n in sorted(jc.exited.items())) or "-"
        lines.append(
            f"  {journey_id:<24} entered {jc.entered:>4}  active {jc.active:>4}  "
            f"converted {jc.converted:>3}  exited: {exits}"
        )
    if workers:
        lines += ["", f"Workers ({len(workers)} processes on one database)"]
        for name, shards, sent in workers:
            lines.append(f"  {name:<32} {shards:>3} shards  {sent:>4} messages sent")
    lines += [
        "",
        f"Outbox (one JSON line per delivery): {outbox}",
        f"State store: {database}  (journey status --database {database})",
        f"Results per step, arm and holdout: journey report --database {database}",
        f"Sample population: {outbox.parent / 'contacts.jsonl'}, {outbox.parent / 'events.jsonl'}",
    ]
    return "\n".join(lines) + "\n"


def _sends_table(messages: list[dict[str, Any]], journey_ids: list[str]) -> list[str]:
    per_step: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    order: dict[str, int] = {j: i for i, j in enumerate(journey_ids)}
    for record in messages:
        key = (record["journey_id"], record["step_id"], record["channel"])
        per_step[key][record.get("locale") or "?"] += 1
    lines = []
    current = None
    for (journey_id, step_id, channel), locales in sorted(
        per_step.items(), key=lambda item: (order.get(item[0][0], 99), item[0])
    ):
        if journey_id != current:
            lines.append(f"  {journey_id}")
            current = journey_id
        spread = "  ".join(f"{loc} {n}" for loc, n in sorted(locales.items()))
        total = sum(locales.values())
        lines.append(f"    {step_id:<24} {channel:<6} {total:>4}   ({spread})")
    return lines or ["  (nothing was sent)"]


def _samples(messages: list[dict[str, Any]]) -> list[str]:
    lines = []
    for locale in SAMPLE_LOCALES:
        shown = 0
        journeys: set[str] = set()
        for record in messages:
            if record.get("locale") != locale or not record.get("subject"):
                continue
            if record["journey_id"] in journeys:
                continue
            journeys.add(record["journey_id"])
            lines.append(
                f"  [{locale}] {record['journey_id']}/{record['step_id']} -> {record['to']}: "
                f"{record['subject']}"
            )
            shown += 1
            if shown == 2:
                break
    return lines or ["  (no email was sent)"]

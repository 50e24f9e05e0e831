"""A fetched tracked URL: where it leads and the `journey.opened` / `journey.clicked` event.

The target is read from the stored message (its `tracked_links`), never from
the request: one delivery read per valid token, nothing for a forged one.
Event ids are derived from the delivery and the link, so a message counts as
opened once and each of its links as clicked once, however often they are
fetched (a replay is a duplicate the inbox drops); machine traffic once per
message, link and reason. Machine traffic becomes
`journey.machine_opened` / `journey.machine_clicked` (with `machine: true`):
stored and reported apart, and no trigger, wait_for, goal or exit reacts to
it as it would to a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from journey.model import Event
from journey.records import DeliveryRecord
from journey.tracking.machine import machine_reason
from journey.tracking.tokens import TrackedHit

OPENED = "journey.opened"
CLICKED = "journey.clicked"
MACHINE_OPENED = "journey.machine_opened"
MACHINE_CLICKED = "journey.machine_clicked"
# What expressions may read of them (the validator's static checks).
PROPERTIES: dict[str, dict[str, str]] = {
    CLICKED: {
        "delivery_key": "string",
        "journey_id": "string",
        "step_id": "string",
        "channel": "string",
        "label": "string",
        "url": "string",
        "link": "number",
        "machine": "boolean",
    },
}
_LINK_ONLY = ("label", "url", "link")
PROPERTIES[OPENED] = {k: v for k, v in PROPERTIES[CLICKED].items() if k not in _LINK_ONLY}
PROPERTIES[MACHINE_CLICKED] = {**PROPERTIES[CLICKED], "reason": "string"}
PROPERTIES[MACHINE_OPENED] = {**PROPERTIES[OPENED], "reason": "string"}


class Deliveries(Protocol):
    def get_delivery(self, key: str) -> DeliveryRecord | None: ...


@dataclass(frozen=True, slots=True)
class Hit:
    target: str | None  # where a click leads; None for the open pixel
    event: Event


def resolve_hit(
    store: Deliveries,
    hit: TrackedHit,
    *,
    method: str,
    user_agent: str,
    now: datetime,
    window: timedelta,
) -> Hit | None:
    """None when the token names no stored message or link (a 404)."""
    record = store.get_delivery(hit.delivery_key)
    if record is None or record.kind == "webhook":
        return None
    target = None
    label = ""
    if not hit.is_open:
        links = record.payload.get("tracked_links") or []
        link = links[hit.index] if 0 <= hit.index < len(links) else None
        if not isinstance(link, dict) or not _is_web_url(link.get("url")):
            return None
        target, label = str(link["url"]), str(link.get("label") or "")
    reason = machine_reason(
        method=method,
        user_agent=user_agent,
        is_open=hit.is_open,
        sent_at=record.sent_at,
        now=now,
        window=window,
    )
    return Hit(target=target, event=_event(record, hit, target, label, reason, now))


def _event(
    record: DeliveryRecord,
    hit: TrackedHit,
    target: str | None,
    label: str,
    reason: str | None,
    now: datetime,
) -> Event:
    if hit.is_open:
        name = OPENED if reason is None else MACHINE_OPENED
        suffix = ""
    else:
        name = CLICKED if reason is None else MACHINE_CLICKED
        suffix = f":{hit.index}"
    properties: dict[str, Any] = {
        "delivery_key": record.delivery_key,
        "journey_id": record.journey_id,
        "step_id": record.step_id,
        "channel": record.channel,
        "machine": reason is not None,
    }
    if not hit.is_open:
        properties |= {"label": label, "url": target, "link": hit.index}
    if reason is not None:  # each kind of machine fetch counted once (a HEAD, a scan)
        properties["reason"] = reason
        suffix += f":{reason}"
    return Event(
        id=f"{name}:{record.delivery_key}{suffix}",
        name=name,
        contact_id=record.contact_id,
        timestamp=now,
        properties=properties,
        received_at=now,
    )


def _is_web_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))

"""Opens and clicks per message, from `journey.opened` / `journey.clicked` events.

An engagement event names its message by the `delivery_key` property (the
same key `journey.sent` carries), so it is credited to that message's journey,
step and the arms of its enrollment. A message counts as opened (clicked) once,
however many events it gets. Events marked `machine: true` (privacy proxies,
link scanners), and `journey.machine_opened` / `journey.machine_clicked`, are
counted apart and never as engagement.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from journey.model import Event
from journey.store.result_rows import MessageTouch

OPENED = "journey.opened"
CLICKED = "journey.clicked"
# What the daemon's tracked links record for machine traffic (journey.tracking.hits).
MACHINE = {"journey.machine_opened": OPENED, "journey.machine_clicked": CLICKED}
ENGAGEMENT_EVENTS = (OPENED, CLICKED, *MACHINE)


@dataclass(slots=True)
class Engagement:
    opened: set[str] = field(default_factory=set)  # delivery keys
    clicked: set[str] = field(default_factory=set)
    machine: Counter[tuple[str, str]] = field(default_factory=Counter)  # (event, key) -> count
    clicks: list[tuple[str, datetime]] = field(default_factory=list)  # (key, when), by people

    @classmethod
    def from_events(cls, events: Iterable[Event], touches: Iterable[MessageTouch]) -> Engagement:
        known = {t.message_id for t in touches if t.reached_contact}
        found = cls()
        for event in events:
            if event.name not in ENGAGEMENT_EVENTS:
                continue
            key = event.properties.get("delivery_key")
            if not isinstance(key, str) or key not in known:
                continue
            if event.name in MACHINE or event.properties.get("machine") is True:
                found.machine[MACHINE.get(event.name, event.name), key] += 1
            elif event.name == OPENED:
                found.opened.add(key)
            else:
                found.clicked.add(key)
                found.clicks.append((key, event.timestamp))
        return found

    def click_touches(self, touches: Iterable[MessageTouch]) -> list[MessageTouch]:
        """Each click as a touch of its message at the moment of the click: the window of
        attribution runs from the send or from the latest click, whichever is later."""
        by_key = {t.message_id: t for t in touches if t.reached_contact}
        return [replace(by_key[key], sent_at=at) for key, at in self.clicks if key in by_key]

    def activity(self, touches: Iterable[MessageTouch]) -> Counter[str]:
        """sent, opened and clicked over these messages."""
        counts: Counter[str] = Counter()
        for touch in touches:
            if touch.reached_contact:
                counts["sent"] += 1
                counts["opened"] += touch.message_id in self.opened
                counts["clicked"] += touch.message_id in self.clicked
        return counts

"""The preference centre's callbacks: the contact's topic choices, and storing a new one.

A choice goes to the daemon's inbox like any contact change (durable before the
page answers): `topics: {name: bool}` for the topics chosen, every kind of
message at once; "everything" turns consent off for email, sms and push, so no
marketing send of any journey reaches the contact. Each leaves a
`journey.unsubscribed` event (with the topic, when it was one) for reports.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from journey.daemon import inbox
from journey.daemon.http.preferences_page import TopicChoice
from journey.model import MESSAGE_KINDS, Contact, Event
from journey.topics import Topic


def topic_choices(topics: Mapping[str, Topic], contact: Contact | None) -> list[TopicChoice]:
    """Each declared topic, titled in the contact's language, ticked when they take it by email."""
    locale = contact.locale if contact else None
    return [
        TopicChoice(
            name=name,
            title=topic.title_in(locale),
            subscribed=(contact or Contact(id="")).subscribed(
                name, "email", topic.subscribed_by_default
            ),
        )
        for name, topic in topics.items()
    ]


def preference_records(
    contact_id: str,
    journey_id: str,
    choices: Mapping[str, bool],
    everything: bool,
    now: datetime,
) -> list[tuple[str, dict[str, Any]]]:
    """The inbox records one choice makes: the contact change, then the events."""
    change: dict[str, Any] = {"id": contact_id}
    if choices:
        change["topics"] = dict(choices)
    if everything:
        change["consent"] = dict.fromkeys(MESSAGE_KINDS, False)
    left = [t for t, subscribed in choices.items() if not subscribed]
    events = [_event(contact_id, journey_id, "", now)] if everything else []
    events += [_event(contact_id, journey_id, topic, now) for topic in left]
    return [(inbox.CONTACT, change), *((inbox.EVENT, inbox.event_body(e)) for e in events)]


def _event(contact_id: str, journey_id: str, topic: str, now: datetime) -> Event:
    properties: dict[str, Any] = {"journey_id": journey_id, "channel": "email"}
    if topic:
        properties["topic"] = topic
    return Event(
        id=f"journey.unsubscribed:{contact_id}:{journey_id}:{topic or '*'}:{now.isoformat()}",
        name="journey.unsubscribed",
        contact_id=contact_id,
        timestamp=now,
        properties=properties,
        received_at=now,
    )


class PreferenceHooks:
    """Bound to the daemon's request store and lock (journey.daemon.hooks.HttpHooks)."""

    def __init__(
        self,
        store: Any,
        lock: threading.Lock,
        topics: Callable[[], Mapping[str, Topic]],
        now: Callable[[], datetime],
        wake: Callable[[], None],
    ) -> None:
        self.store, self._lock, self._topics, self._now, self._wake = store, lock, topics, now, wake

    def preference_topics(self, contact_id: str) -> Sequence[TopicChoice]:
        topics = self._topics()
        if not topics:
            return []
        with self._lock:
            contact = self.store.get_contact(contact_id)
        return topic_choices(topics, contact)

    def set_preferences(
        self, contact_id: str, journey_id: str, choices: Mapping[str, bool], everything: bool
    ) -> None:
        now = self._now()
        records = preference_records(contact_id, journey_id, choices, everything, now)
        with self._lock:
            self.store.enqueue(records, now)
        self._wake()

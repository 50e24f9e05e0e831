"""Attribution: which journey, step, message and arm a conversion is credited to.

The rule (docs/results.md states it for users): a conversion at instant T by a
contact is credited to the **last message that reached that contact** (a
delivery that went out, any journey; a click on a message touches again at the
moment of the click) at or before T and no longer than the window (default 7
days) before T — last touch. No such message: the conversion
is not attributed. A journey's goal is also counted for its enrollment whether
or not a message was sent (that is what an experiment compares); its credit
goes to the last message of that enrollment within the window, if any.

Everything here is pure: lists of records in, credits out.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from journey.localtime import add_duration
from journey.model import Duration, Event
from journey.results.conversions import ConversionSettings
from journey.store.result_rows import EnrollmentOutcome, MessageTouch

UNSUBSCRIBED = "journey.unsubscribed"
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True, kw_only=True)
class Credit:
    """One conversion (or unsubscribe) and what it is credited to (None: not attributed)."""

    event_id: str
    event: str
    contact_id: str
    at: datetime
    value: float | None = None
    currency: str | None = None
    journey_id: str | None = None
    step_id: str | None = None
    message_id: str | None = None
    enrollment_id: str | None = None
    arms: dict[str, str] = field(default_factory=dict)
    survey: str | None = None  # an answer to this survey; `value` is its score


class Touches:
    """Messages that reached contacts, indexed for "the last one before T"."""

    def __init__(self, touches: Iterable[MessageTouch]) -> None:
        self._by_contact: dict[str, list[MessageTouch]] = defaultdict(list)
        self._by_enrollment: dict[str, list[MessageTouch]] = defaultdict(list)
        for touch in touches:
            if touch.reached_contact:
                self._by_contact[touch.contact_id].append(touch)
                self._by_enrollment[touch.enrollment_id].append(touch)
        for group in (*self._by_contact.values(), *self._by_enrollment.values()):
            group.sort(key=_sent)

    def of_enrollment(self, enrollment_id: str) -> list[MessageTouch]:
        return self._by_enrollment.get(enrollment_id, [])

    def last_for_contact(
        self, contact_id: str, at: datetime, window: Duration, journey_id: str | None = None
    ) -> MessageTouch | None:
        candidates = self._by_contact.get(contact_id, [])
        if journey_id is not None:
            candidates = [t for t in candidates if t.journey_id == journey_id]
        return last_within(candidates, at, window)

    def last_for_enrollment(
        self, enrollment_id: str, at: datetime, window: Duration
    ) -> MessageTouch | None:
        return last_within(self._by_enrollment.get(enrollment_id, []), at, window)


def _sent(touch: MessageTouch) -> datetime:
    assert touch.sent_at is not None
    return touch.sent_at


def last_within(
    touches: Sequence[MessageTouch], at: datetime, window: Duration
) -> MessageTouch | None:
    """The latest touch sent at or before `at`, if `at` falls within `window` of it."""
    index = bisect.bisect_right([_sent(t) for t in touches], at)
    if index == 0:
        return None
    touch = touches[index - 1]
    return touch if at <= add_duration(_sent(touch), window, UTC_ZONE) else None


def attribute_events(
    events: Iterable[Event],
    touches: Touches,
    settings: ConversionSettings,
    arms_of: dict[str, dict[str, str]],
) -> list[Credit]:
    """Declared conversion events, survey answers and unsubscribes, each credited last touch.

    An unsubscribe that names its journey (the one-click link does) is credited
    within that journey only.
    """
    credits = []
    for event in events:
        journey_id = None
        amount = None
        for survey in settings.surveys.values():
            score = survey.score_of(event.name, event.properties)
            if score is not None:
                touch = touches.last_for_contact(event.contact_id, event.timestamp, settings.window)
                credit = _credit(event, touch, (score, ""), arms_of)
                credits.append(replace(credit, currency=None, survey=survey.name))
        if event.name == UNSUBSCRIBED:
            named = event.properties.get("journey_id")
            journey_id = named if isinstance(named, str) else None
        else:
            rule = settings.events.get(event.name)
            if rule is None:
                continue  # a survey answer only
            amount = rule.amount(event.properties)
        touch = touches.last_for_contact(
            event.contact_id, event.timestamp, settings.window, journey_id
        )
        credits.append(_credit(event, touch, amount, arms_of))
    return credits


def goal_credit(
    outcome: EnrollmentOutcome,
    goal_event: Event | None,
    touches: Touches,
    settings: ConversionSettings,
) -> Credit:
    """An enrollment's goal conversion, credited to its own last message within the window."""
    assert outcome.converted_at is not None
    touch = touches.last_for_enrollment(
        outcome.enrollment_id, outcome.converted_at, settings.window
    )
    amount = None
    if goal_event is not None and goal_event.name in settings.events:
        amount = settings.events[goal_event.name].amount(goal_event.properties)
    return Credit(
        event_id=goal_event.id if goal_event else f"goal:{outcome.enrollment_id}",
        event=goal_event.name if goal_event else "goal",
        contact_id=outcome.contact_id,
        at=outcome.converted_at,
        value=amount[0] if amount else None,
        currency=amount[1] if amount else None,
        journey_id=outcome.journey_id,
        step_id=touch.step_id if touch else None,
        message_id=touch.message_id if touch else None,
        enrollment_id=outcome.enrollment_id,
        arms=dict(outcome.arms),
    )


def _credit(
    event: Event,
    touch: MessageTouch | None,
    amount: tuple[float, str] | None,
    arms_of: dict[str, dict[str, str]],
) -> Credit:
    return Credit(
        event_id=event.id,
        event=event.name,
        contact_id=event.contact_id,
        at=event.timestamp,
        value=amount[0] if amount else None,
        currency=amount[1] if amount else None,
        journey_id=touch.journey_id if touch else None,
        step_id=touch.step_id if touch else None,
        message_id=touch.message_id if touch else None,
        enrollment_id=touch.enrollment_id if touch else None,
        arms=dict(arms_of.get(touch.enrollment_id, {})) if touch else {},
    )


def revenue(credits: Iterable[Credit]) -> dict[str, float]:
    """Summed per currency, never mixed; rounded to cents for display."""
    totals: dict[str, float] = defaultdict(float)
    for credit in credits:
        if credit.survey is None and credit.value is not None and credit.currency is not None:
            totals[credit.currency] += credit.value
    return {currency: round(total, 2) for currency, total in sorted(totals.items())}

"""The attribution rule: the last message within the window before a conversion; clicks touch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from journey.model import Duration, Event
from journey.results.attribution import Touches, attribute_events, revenue
from journey.results.conversions import ConversionEvent, ConversionSettings
from journey.results.engagement import Engagement
from journey.store.result_rows import MessageTouch

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS = ConversionSettings(
    window=Duration(calendar_days=7, text="7d"),
    events={"order_placed": ConversionEvent(name="order_placed", value="total", currency="cur")},
)


def message(key: str, journey: str, step: str, day: float, status: str = "sent") -> MessageTouch:
    at = T0 + timedelta(days=day)
    return MessageTouch(
        message_id=key, enrollment_id=f"{journey}:c1:1", journey_id=journey, step_id=step,
        contact_id="c1", channel="email", kind="email", category="marketing", status=status,
        created_at=at, sent_at=at if status == "sent" else None,
    )  # fmt: skip


def order(day: float, total: float = 100, cur: str = "SEK", name: str = "order_placed") -> Event:
    at = T0 + timedelta(days=day)
    return Event(id=f"o{day}{cur}", name=name, contact_id="c1", timestamp=at,
                 properties={"total": total, "cur": cur}, received_at=at)  # fmt: skip


def credit(messages: list[MessageTouch], events: list[Event], *, clicks: list[Event] = ()):  # type: ignore[no-untyped-def,assignment]
    engagement = Engagement.from_events(clicks, messages)
    touches = Touches([*messages, *engagement.click_touches(messages)])
    return attribute_events(events, touches, SETTINGS, {"j1:c1:1": {"s": "a"}})


def test_the_last_message_before_the_conversion_gets_it_whichever_journey_sent_it() -> None:
    found = credit([message("k1", "j1", "welcome", 0), message("k2", "j2", "nudge", 2)], [order(3)])
    assert [(c.journey_id, c.step_id, c.message_id) for c in found] == [("j2", "nudge", "k2")]


def test_a_message_sent_after_the_conversion_or_not_sent_gets_nothing() -> None:
    messages = [message("k1", "j1", "welcome", 0), message("k2", "j2", "nudge", 2, "failed")]
    found = credit([*messages, message("k3", "j2", "later", 4)], [order(3)])
    assert [(c.message_id, c.arms) for c in found] == [("k1", {"s": "a"})]


def test_the_window_counts_from_the_send_and_its_last_instant_still_counts() -> None:
    found = credit([message("k1", "j1", "welcome", 0)], [order(7), order(7.01, cur="USD")])
    assert [c.message_id for c in found] == ["k1", None]


def test_a_click_starts_the_window_again() -> None:
    at = T0 + timedelta(days=6)
    click = Event(id="c", name="journey.clicked", contact_id="c1", timestamp=at,
                  properties={"delivery_key": "k1"}, received_at=at)  # fmt: skip
    machine = Event(id="m", name="journey.clicked", contact_id="c1", timestamp=at,
                    properties={"delivery_key": "k1", "machine": True}, received_at=at)  # fmt: skip
    assert [c.message_id for c in credit([message("k1", "j1", "w", 0)], [order(10)])] == [None]
    with_click = credit([message("k1", "j1", "w", 0)], [order(10)], clicks=[click])
    assert [c.message_id for c in with_click] == ["k1"]
    by_machine = credit([message("k1", "j1", "w", 0)], [order(10)], clicks=[machine])
    assert [c.message_id for c in by_machine] == [None]


def test_revenue_stays_per_currency_and_undeclared_events_are_not_conversions() -> None:
    events = [
        order(1, 100, "SEK"),
        order(1.5, 20, "USD"),
        order(2, 50, "SEK"),
        order(2, 9, name="x"),
    ]
    found = credit([message("k1", "j1", "w", 0)], events)
    assert revenue(found) == {"SEK": 150.0, "USD": 20.0}

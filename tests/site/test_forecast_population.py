"""The forecast's generated people do what a journey waits for and have the history it reads."""

from __future__ import annotations

from datetime import UTC, datetime

from journey.model import (
    END,
    Duration,
    EventTrigger,
    LatestEvent,
    Plan,
    UpdateStep,
    WaitForStep,
)
from journey.samples import sample_contacts
from journey.site.population import population

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TYPES = {
    "survey_invited": {},
    "survey_completed": {"score": "number", "channel": "string"},
    "order_placed": {"total": "number"},
}


def nps_plan() -> Plan:
    return Plan(
        journey_id="nps",
        name="NPS",
        kind="loyalty",
        trigger=EventTrigger(event="survey_invited"),
        latest_events=(LatestEvent(name="last_order", event="order_placed"),),
        steps=(
            WaitForStep(
                id="answer",
                next="promoter",
                event="survey_completed",
                where="event.properties.score >= 9",
                timeout=Duration(calendar_days=7),
                on_timeout=END,
            ),
            UpdateStep(id="promoter", next=END, updates=()),
        ),
    )


def test_answers_to_a_filtered_wait_mostly_pass_its_where_and_orders_come_before_entry() -> None:
    samples = sample_contacts({"first_name": "string"}, START)
    _, events = population(nps_plan(), samples, TYPES, START, 200)
    answers = [e for e in events if e.name == "survey_completed"]
    orders = [e for e in events if e.name == "order_placed"]
    entries = {e.contact_id: e.timestamp for e in events if e.name == "survey_invited"}
    assert len(answers) > 40
    promoters = [e for e in answers if e.properties["score"] >= 9]
    assert len(promoters) > 0.6 * len(answers)  # drawn to pass the wait's where, most of the time
    assert len(promoters) < len(answers)  # and some do not, so the timeout path has traffic
    assert len(orders) > 60
    assert all(order.timestamp < entries[order.contact_id] for order in orders)

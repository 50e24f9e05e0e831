"""Later events are data (`wait_for ... as:`, `latest_events:`) and a trigger that fires again
(`retrigger:`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from journey.localtime import parse_instant as at
from journey.model import (
    END,
    AttributeUpdate,
    BranchArm,
    BranchStep,
    Duration,
    Event,
    EventTrigger,
    LatestEvent,
    Plan,
    SendStep,
    UpdateStep,
    WaitForStep,
    WaitStep,
)
from tests.engine.engine_world import StubRenderer, World

DAY = Duration(calendar_days=1, text="1d")


def send(step_id: str, next_: str = END) -> SendStep:
    return SendStep(id=step_id, next=next_, channel="email", template="t/x")


def nps_plan() -> Plan:
    return Plan(
        journey_id="nps",
        name="NPS",
        kind="loyalty",
        trigger=EventTrigger(event="order_delivered"),
        steps=(
            send("survey", "answer"),
            WaitForStep(
                id="answer",
                next="settle",
                event="survey_completed",
                timeout=Duration(calendar_days=7, text="7d"),
                on_timeout=END,
                as_name="survey",
            ),
            WaitStep(id="settle", next="score", duration=DAY),
            BranchStep(
                id="score",
                next="apology",
                arms=(BranchArm(condition="events.survey.properties.score >= 9", goto="referral"),),
            ),
            send("referral"),
            UpdateStep(
                id="apology",
                next=END,
                updates=(
                    AttributeUpdate(attribute="nps_score", expr="events.survey.properties.score"),
                ),
            ),
        ),
    )


def test_the_event_a_wait_matched_is_read_by_later_steps_after_a_restart(
    tmp_path: Path,
) -> None:
    start = at("2026-03-02T08:00:00Z")
    before = World(tmp_path, start)
    before.load(nps_plan())
    before.contact(id="c1")
    before.contact(id="c2")
    before.event("order_delivered", "c1")
    before.event("order_delivered", "c2")
    before.advance(timedelta(hours=3))
    before.event("survey_completed", "c1", score=10)
    before.event("survey_completed", "c2", score=3)
    kept = before.store.latest_enrollment("nps", "c2")
    assert kept is not None and kept.events["survey"].properties == {"score": 3}
    before.store.close()  # the daemon stops while both wait a day

    after = World(tmp_path, before.clock.now())
    after.load(nps_plan())
    after.finish(timedelta(days=2))
    assert [step for step, _ in after.sends("c1")] == ["referral"]
    assert after.sends("c2") == []
    c2 = after.store.get_contact("c2")
    assert c2 is not None and c2.attributes["nps_score"] == 3


def test_a_wait_that_times_out_keeps_nothing(world: World) -> None:
    world.load(nps_plan())
    world.contact(id="c1")
    world.event("order_delivered")
    world.finish(timedelta(days=8))
    ended = world.store.latest_enrollment("nps", "c1")
    assert ended is not None and ended.events == {} and ended.exit_reason == "completed"


def cart_plan(retrigger: str) -> Plan:
    return Plan(
        journey_id="cart",
        name="Cart",
        kind="reactivation",
        trigger=EventTrigger(event="cart_abandoned"),
        retrigger=retrigger,  # type: ignore[arg-type]
        steps=(WaitStep(id="pause", next="remind", duration=DAY), send("remind")),
    )


def test_refresh_replaces_the_entry_and_times_the_wait_again(world: World) -> None:
    world.load(cart_plan("refresh"))
    world.contact(id="c1")
    world.event("cart_abandoned", total=10)
    world.advance(timedelta(hours=20))
    world.event("cart_abandoned", total=25)
    world.finish(timedelta(days=2))
    assert world.sends("c1") == [("remind", at("2026-03-03T04:00:00Z") + timedelta(days=1))]
    enrollment = world.store.latest_enrollment("cart", "c1")
    assert enrollment is not None
    assert enrollment.id == "cart:c1:1" and enrollment.entry.properties == {"total": 25}


def test_restart_exits_with_restarted_and_enters_again(world: World) -> None:
    world.load(cart_plan("restart"))
    world.contact(id="c1")
    world.event("cart_abandoned", total=10)
    world.advance(timedelta(hours=20))
    world.event("cart_abandoned", total=25)
    world.finish(timedelta(days=2))
    assert world.exits("c1") == ["restarted", "completed"]
    assert world.sends("c1") == [("remind", at("2026-03-04T04:00:00Z"))]
    latest = world.store.latest_enrollment("cart", "c1")
    assert latest is not None and latest.id == "cart:c1:2"
    assert latest.entry.properties == {"total": 25}


def test_ignore_keeps_the_first_entry_and_its_timer(world: World) -> None:
    world.load(cart_plan("ignore"))
    world.contact(id="c1")
    world.event("cart_abandoned", total=10)
    world.advance(timedelta(hours=20))
    world.event("cart_abandoned", total=25)
    world.finish(timedelta(days=2))
    assert world.sends("c1") == [("remind", at("2026-03-03T08:00:00Z"))]
    latest = world.store.latest_enrollment("cart", "c1")
    assert latest is not None and latest.entry.properties == {"total": 10}


# ------------------------------------------------------------ latest events


class ContextRecorder(StubRenderer):
    """The stub renderer, noting what each message's template saw as `events`."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], Any] = {}

    def render(self, **kwargs: Any) -> Any:
        self.seen[(kwargs["contact"].id, kwargs["template"])] = kwargs["context"]["events"]
        return super().render(**kwargs)


def winback_plan() -> Plan:
    """A cart reminder that reads the customer's last order, as `latest_events` declares."""
    return Plan(
        journey_id="winback",
        name="Win back",
        kind="reactivation",
        trigger=EventTrigger(event="cart_abandoned"),
        latest_events=(LatestEvent(name="last_order", event="order_placed"),),
        steps=(
            BranchStep(
                id="by-last-order",
                next="regular",
                arms=(
                    BranchArm(
                        condition="events.last_order and events.last_order.properties.total >= 300",
                        goto="big-spender",
                    ),
                ),
            ),
            SendStep(id="big-spender", next="settle", channel="email", template="cart/vip"),
            SendStep(id="regular", next="settle", channel="email", template="cart/reminder"),
            WaitStep(id="settle", next="remember", duration=DAY),
            UpdateStep(
                id="remember",
                next=END,
                updates=(
                    AttributeUpdate(
                        attribute="last_order_total",
                        expr="events.last_order.properties.total if events.last_order else 0",
                    ),
                ),
            ),
        ),
    )


def order(world: World, contact_id: str, event_id: str, when: datetime, total: float) -> None:
    """An order in the contact's history (stored, enrolling nobody)."""
    world.store.add_event(
        Event(
            id=event_id,
            name="order_placed",
            contact_id=contact_id,
            timestamp=when,
            received_at=when,
            properties={"order_id": event_id, "total": total},
        )
    )


def test_a_journey_branches_on_the_latest_order_and_records_it_in_an_update(
    world: World,
) -> None:
    recorder = ContextRecorder()
    world.renderer = recorder
    world.load(winback_plan())
    now = world.clock.now()
    for contact_id in ("c1", "c2", "c3", "c4"):
        world.contact(id=contact_id)
    order(world, "c1", "o-11", now - timedelta(days=60), 120)
    order(world, "c1", "o-12", now - timedelta(days=20), 389)  # the latest: a big one
    order(world, "c2", "o-21", now - timedelta(days=60), 450)
    order(world, "c2", "o-22", now - timedelta(days=20), 80)  # the latest: a small one
    order(world, "c4", "o-41", now - timedelta(days=500), 990)  # older than event_retention
    for contact_id in ("c1", "c2", "c3", "c4"):
        world.event("cart_abandoned", contact_id)
    world.advance(timedelta(hours=6))
    world.event(
        "order_placed", "c2", order_id="o-23", total=510
    )  # after the send, before the update
    world.finish(timedelta(days=2))

    assert [step for step, _ in world.sends("c1")] == ["big-spender"]
    assert [step for step, _ in world.sends("c2")] == ["regular"]
    assert [step for step, _ in world.sends("c3")] == ["regular"]  # never ordered: none
    assert [step for step, _ in world.sends("c4")] == ["regular"]  # forgotten by retention
    seen = recorder.seen[("c1", "cart/vip")]["last_order"]
    assert seen["name"] == "order_placed"
    assert seen["timestamp"] == now - timedelta(days=20)
    assert seen["properties"] == {"order_id": "o-12", "total": 389}
    assert recorder.seen[("c3", "cart/reminder")] == {"last_order": None}
    totals = {}
    for contact_id in ("c1", "c2", "c3", "c4"):
        contact = world.store.get_contact(contact_id)
        assert contact is not None
        totals[contact_id] = contact.attributes["last_order_total"]
    # each step reads the latest order at its own moment: c2's new order reached the update
    assert totals == {"c1": 389, "c2": 510, "c3": 0, "c4": 0}

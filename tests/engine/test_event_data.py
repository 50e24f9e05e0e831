"""Later events are data (`wait_for ... as:`) and a trigger that fires again (`retrigger:`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from journey.localtime import parse_instant as at
from journey.model import (
    END,
    AttributeUpdate,
    BranchArm,
    BranchStep,
    Duration,
    EventTrigger,
    Plan,
    SendStep,
    UpdateStep,
    WaitForStep,
    WaitStep,
)
from tests.engine.engine_world import World

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

"""Before a send: consent and address, quiet hours, frequency caps (across journeys)."""

from __future__ import annotations

from datetime import timedelta

from journey.engine.context import EngineSettings
from journey.localtime import parse_instant as at
from journey.model import (
    END,
    Duration,
    EventTrigger,
    FrequencyCap,
    Plan,
    QuietHours,
    SendStep,
    WaitStep,
)
from tests.engine.engine_world import World

WEEK = Duration(calendar_days=7)


def send(step_id: str, next_: str = END, channel: str = "email") -> SendStep:
    return SendStep(
        id=step_id,
        next=next_,
        channel=channel,
        template="t/x",
        message="sms" if channel == "sms" else "email",
    )


def plan(journey_id: str = "j", *steps: SendStep | WaitStep, **options) -> Plan:  # type: ignore[no-untyped-def]
    return Plan(
        journey_id=journey_id,
        name="J",
        kind="engagement",
        trigger=EventTrigger(event=options.pop("event", "go")),
        steps=tuple(steps) or (send("hello"),),
        reentry="always",
        **options,
    )


def test_missing_consent_or_address_is_suppressed_and_the_journey_goes_on(world: World) -> None:
    world.load(plan("j", send("mail", "sms"), send("sms", channel="sms")))
    world.contact(id="c1", consent={"email": False, "sms": True})  # no phone either
    world.event("go")
    assert world.kinds("skip") == [("mail", "suppressed"), ("sms", "suppressed")]
    assert world.exits() == ["completed"]
    assert world.store.journey_counts("j").deliveries == {"suppressed": 2}


def test_transactional_skips_consent_but_needs_an_address(world: World) -> None:
    world.load(plan("j", category="transactional"))
    world.contact(id="c1", consent={})
    world.contact(id="c2", consent={}, email=None)
    world.event("go", "c1")
    world.event("go", "c2")
    assert world.sends("c1") and world.kinds("skip", "c2") == [("hello", "suppressed")]


def test_quiet_hours_defer_to_their_end_and_later_steps_count_from_the_send(
    world: World,
) -> None:
    world.clock.advance_to(at("2026-03-02T22:30:00+01:00"))
    quiet = QuietHours(start="21:00", end="08:00")
    world.load(
        plan(
            "j",
            send("a", "w"),
            WaitStep(id="w", next="b", duration=Duration(seconds=3600)),
            send("b"),
            quiet_hours=quiet,
        )
    )
    world.contact(id="c1", timezone="Europe/Stockholm")
    world.event("go")
    world.finish(timedelta(days=1))
    assert world.sends() == [
        ("a", at("2026-03-03T08:00:00+01:00")),
        ("b", at("2026-03-03T09:00:00+01:00")),
    ]


def test_journey_can_turn_the_workspace_quiet_hours_off(world: World) -> None:
    world.settings = EngineSettings(quiet_hours=QuietHours(start="00:00", end="23:59"))
    world.load(plan("loud", quiet_hours=False), plan("polite"))
    world.contact(id="c1")
    world.event("go")
    assert [h.journey_id for h in world.happenings if h.kind == "send"] == ["loud"]


def test_transactional_ignores_quiet_hours_and_caps(world: World) -> None:
    world.settings = EngineSettings(
        quiet_hours=QuietHours(start="00:00", end="23:59"),
        frequency_cap=FrequencyCap(max=0, per=WEEK),
    )
    world.load(plan("receipt", category="transactional"))
    world.contact(id="c1")
    world.event("go")
    assert len(world.sends()) == 1


def test_workspace_cap_counts_marketing_sends_across_journeys(world: World) -> None:
    world.settings = EngineSettings(frequency_cap=FrequencyCap(max=2, per=WEEK))
    world.load(plan("a"), plan("b"), plan("c"), plan("receipt", category="transactional"))
    world.contact(id="c1")
    world.event("go")
    sent = [h.journey_id for h in world.happenings if h.kind == "send"]
    assert sent == ["a", "b", "receipt"]
    assert world.kinds("skip") == [("hello", "capped")]
    assert world.store.journey_counts("c").steps["hello"].outcomes == {"capped": 1}


def test_a_send_must_fit_both_the_workspace_and_the_journey_cap(world: World) -> None:
    world.settings = EngineSettings(frequency_cap=FrequencyCap(max=5, per=WEEK))
    strict = FrequencyCap(max=1, per=Duration(calendar_days=1))
    world.load(plan("a"), plan("b", frequency_cap=strict))
    world.contact(id="c1")
    world.event("go")
    assert [h.journey_id for h in world.happenings if h.kind == "send"] == ["a"]


def test_cap_defer_waits_for_the_earliest_allowed_moment(world: World) -> None:
    cap = FrequencyCap(max=1, per=Duration(calendar_days=1), on_cap="defer")
    world.load(plan("j", send("a", "b"), send("b"), frequency_cap=cap))
    world.contact(id="c1")
    world.event("go")
    world.finish(timedelta(days=3))
    times = [t for _, t in world.sends()]
    assert times[0] == at("2026-03-02T08:00:00Z")
    assert times[1] == at("2026-03-03T08:00:00Z")  # the first send leaves the window


def test_cap_defer_skips_after_max_defer(world: World) -> None:
    cap = FrequencyCap(
        max=1, per=Duration(calendar_days=7), on_cap="defer", max_defer=Duration(calendar_days=3)
    )
    world.load(plan("j", send("a", "b"), send("b"), frequency_cap=cap))
    world.contact(id="c1")
    world.event("go")
    world.finish(timedelta(days=10))
    assert [s for s, _ in world.sends()] == ["a"]
    assert world.kinds("skip") == [("b", "capped")]


def test_deferred_send_rechecks_exit_when_before_going_out(world: World) -> None:
    from journey.model import ExitCondition

    world.clock.advance_to(at("2026-03-02T22:00:00Z"))
    world.load(
        plan(
            "j",
            quiet_hours=QuietHours(start="21:00", end="08:00"),
            exit_when=(ExitCondition(expression="contact.unsubscribed"),),
        )
    )
    world.contact(id="c1")
    world.event("go")
    world.store.put_contact(
        world.store.get_contact("c1").__class__(  # bypass contact-change
            id="c1",
            email="c1@example.com",
            consent={"email": True},
            attributes={"unsubscribed": True},
        )
    )
    world.finish(timedelta(days=1))
    assert world.sends() == [] and world.exits() == ["exit_when"]

"""Triggers, audience, reentry, exit_when, goal, and journey status."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from journey.localtime import parse_instant as at
from journey.model import (
    END,
    DateTrigger,
    Duration,
    EventTrigger,
    ExitCondition,
    Goal,
    InactivityTrigger,
    Plan,
    ScheduleTrigger,
    SegmentTrigger,
    SendStep,
    WaitStep,
)
from tests.engine.engine_world import World


def send(step_id: str, next_: str = END) -> SendStep:
    return SendStep(id=step_id, next=next_, channel="email", template="t/x")


def plan(trigger, *steps, **options) -> Plan:  # type: ignore[no-untyped-def]
    return Plan(
        journey_id=options.pop("journey_id", "j"),
        name="J",
        kind="onboarding",
        trigger=trigger,
        steps=tuple(steps) or (send("hello"),),
        **options,
    )


DAY = Duration(calendar_days=1)


def test_event_trigger_with_where(world: World) -> None:
    world.load(plan(EventTrigger(event="signed_up", where="event.properties.plan == 'trial'")))
    world.contact(id="c1")
    world.contact(id="c2")
    world.event("signed_up", "c1", plan="trial")
    world.event("signed_up", "c2", plan="pro")
    assert world.sends("c1") and not world.sends("c2")
    enrollment = world.store.latest_enrollment("j", "c1")
    assert enrollment is not None and enrollment.entry.properties == {"plan": "trial"}


def test_audience_is_checked_at_entry(world: World) -> None:
    world.load(plan(EventTrigger(event="signed_up"), audience="contact.country == 'SE'"))
    world.contact(id="c1", country="SE")
    world.contact(id="c2", country="US")
    world.event("signed_up", "c1")
    world.event("signed_up", "c2")
    assert world.sends("c1") and not world.sends("c2")


def test_an_unknown_contact_is_created_empty_by_its_event(world: World) -> None:
    world.load(plan(EventTrigger(event="signed_up")))
    world.event("signed_up", "ghost")
    assert world.store.get_contact("ghost") is not None
    assert world.kinds("skip", "ghost") == [("hello", "suppressed")]


def test_one_active_enrollment_a_trigger_while_enrolled_is_dropped(world: World) -> None:
    world.load(
        plan(
            EventTrigger(event="go"),
            WaitStep(id="w", next="a", duration=DAY),
            send("a"),
            reentry="always",
        )
    )
    world.contact(id="c1")
    world.event("go")
    world.advance(timedelta(hours=1))
    world.event("go")
    assert world.store.count_enrollments("j", "c1") == 1
    world.finish(timedelta(days=2))
    world.event("go")
    assert world.store.count_enrollments("j", "c1") == 2


def test_reentry_never_and_cool_down(world: World) -> None:
    world.load(
        plan(EventTrigger(event="go"), journey_id="never"),
        plan(EventTrigger(event="go"), journey_id="cool", reentry=Duration(calendar_days=7)),
    )
    world.contact(id="c1")
    world.event("go")
    world.advance(timedelta(days=3))
    world.event("go")
    assert world.store.count_enrollments("never", "c1") == 1
    assert world.store.count_enrollments("cool", "c1") == 1
    world.advance(timedelta(days=5))
    world.event("go")
    assert world.store.count_enrollments("never", "c1") == 1
    assert world.store.count_enrollments("cool", "c1") == 2


def test_segment_enters_on_the_false_to_true_edge_only(world: World) -> None:
    world.load(plan(SegmentTrigger(condition="contact.plan == 'trial'"), reentry="always"))
    world.contact(id="c1", plan="free")
    assert not world.sends()
    world.contact(id="c1", plan="trial")
    world.contact(id="c1", plan="trial", other=1)  # still true: no second entry
    assert len(world.sends()) == 1
    world.contact(id="c1", plan="free")
    world.contact(id="c1", plan="trial")
    assert len(world.sends()) == 2


def test_segment_new_contact_matching_counts_as_a_change(world: World) -> None:
    world.load(plan(SegmentTrigger(condition="contact.plan == 'trial'")))
    world.contact(id="c1", plan="trial")
    assert len(world.sends()) == 1


def test_segment_existing_contacts_enter_only_with_include_existing(world: World) -> None:
    world.contact_before_load = True
    from journey.engine.context import EngineSettings  # noqa: F401

    world.store.put_contact(world_contact("c1"))
    world.load(
        plan(SegmentTrigger(condition="contact.plan == 'trial'"), journey_id="quiet"),
        plan(
            SegmentTrigger(condition="contact.plan == 'trial'", include_existing=True),
            journey_id="eager",
        ),
    )
    assert [h.journey_id for h in world.happenings if h.kind == "send"] == ["eager"]


def world_contact(contact_id: str):  # type: ignore[no-untyped-def]
    from journey.model import Contact

    return Contact(
        id=contact_id,
        email=f"{contact_id}@example.com",
        consent={"email": True},
        attributes={"plan": "trial"},
        created_at=at("2026-01-01T00:00:00Z"),
    )


def test_segment_recheck_catches_conditions_on_time(world: World) -> None:
    condition = "days_since(contact.trial_started) >= 3"
    world.load(plan(SegmentTrigger(condition=condition, recheck=Duration(seconds=3600))))
    world.contact(id="c1", trial_started="2026-03-01")
    world.finish(timedelta(days=3))
    sends = world.sends()
    assert len(sends) == 1
    assert at("2026-03-04T00:00:00Z") <= sends[0][1] <= at("2026-03-04T01:00:00Z")


def test_date_trigger_with_offset_and_at_in_the_contacts_zone(world: World) -> None:
    trigger = DateTrigger(attribute="renewal", offset=Duration(calendar_days=-7), at="09:00")
    world.load(plan(trigger))
    world.contact(id="c1", renewal="2026-03-20", timezone="Europe/Stockholm")
    world.finish(timedelta(days=20))
    assert world.sends() == [("hello", at("2026-03-13T09:00:00+01:00"))]


def test_yearly_birthday_on_29_february_fires_on_28_february_in_common_years(
    world: World,
) -> None:
    trigger = DateTrigger(attribute="birthday", repeat="yearly", at="10:00")
    world.load(plan(trigger, reentry="always"))
    world.contact(id="c1", birthday="2000-02-29")
    world.finish(at("2028-03-01T00:00:00Z"))
    assert [t for _, t in world.sends()] == [
        at("2027-02-28T10:00:00Z"),
        at("2028-02-29T10:00:00Z"),
    ]


def test_date_occurrence_older_than_catch_up_is_skipped(world: World) -> None:
    trigger = DateTrigger(attribute="anniversary", at="07:00", repeat="yearly")
    world.load(plan(trigger, reentry="always"))
    world.contact(id="c1", anniversary="2020-03-01")  # 2026-03-01 07:00 is 25h ago
    world.contact(id="c2", anniversary="2020-03-02")  # today 07:00, 1h ago: within 24h
    world.finish(timedelta(days=1))
    assert not world.sends("c1")
    assert world.sends("c2") == [("hello", at("2026-03-02T08:00:00Z"))]


def test_schedule_trigger_in_the_journeys_zone(world: World) -> None:
    world.load(
        plan(
            ScheduleTrigger(cron="0 9 * * MON"),
            audience="contact.digest == true",
            timezone="America/New_York",
            reentry="always",
        )
    )
    world.contact(id="c1", digest=True)
    world.contact(id="c2", digest=False)
    world.finish(timedelta(days=14))
    assert [t for _, t in world.sends("c1")] == [
        at("2026-03-02T09:00:00-05:00"),
        at("2026-03-09T09:00:00-04:00"),  # after the US change on 8 March
    ]
    assert not world.sends("c2")


def test_schedule_with_timezone_contact_fires_at_each_contacts_local_time(world: World) -> None:
    world.load(
        plan(
            ScheduleTrigger(cron="0 9 * * *", timezone="contact"), audience="true", reentry="always"
        )
    )
    world.contact(id="se", timezone="Europe/Stockholm")
    world.contact(id="cn", timezone="Asia/Shanghai")
    world.finish(at("2026-03-03T12:00:00Z"))
    assert [t for _, t in world.sends("se")] == [at("2026-03-03T09:00:00+01:00")]
    assert [t for _, t in world.sends("cn")] == [at("2026-03-03T09:00:00+08:00")]


def test_inactivity_counts_from_last_event_else_created_at_and_rearms(world: World) -> None:
    trigger = InactivityTrigger(event="session_started", for_=Duration(calendar_days=10))
    world.load(plan(trigger, reentry="always"))
    world.contact(id="c1", created_at="2026-03-01T08:00:00Z")
    world.contact(id="c2", created_at="2026-03-01T08:00:00Z")
    world.advance(timedelta(days=2))
    world.event("session_started", "c2")  # 2026-03-04 08:00
    world.finish(timedelta(days=30))
    assert [t for _, t in world.sends("c1")] == [at("2026-03-11T08:00:00Z")]
    assert [t for _, t in world.sends("c2")] == [at("2026-03-14T08:00:00Z")]
    world.event("session_started", "c2")
    world.finish(timedelta(days=11))
    assert len(world.sends("c2")) == 2


def test_late_event_goes_into_history_only(world: World) -> None:
    from journey.engine.inputs import parse_event

    world.load(plan(EventTrigger(event="signed_up")))
    world.contact(id="c1")
    old = parse_event(
        {"id": "e", "name": "signed_up", "contact_id": "c1", "timestamp": "2026-02-27T08:00:00Z"},
        world.clock.now(),
    )
    assert world.runner is not None
    world.runner.handle_event(old)
    assert not world.sends()
    assert world.store.count_events("c1", "signed_up", None, world.clock.now()) == 1


def test_duplicate_event_ids_are_processed_once(world: World) -> None:
    world.load(plan(EventTrigger(event="go"), reentry="always"))
    world.contact(id="c1")
    from journey.engine.inputs import parse_event

    event = parse_event({"id": "same", "name": "go", "contact_id": "c1"}, world.clock.now())
    assert world.runner is not None
    assert world.runner.handle_event(event) is True
    world.advance(timedelta(days=1))
    assert world.runner.handle_event(replace(event)) is False
    assert len(world.sends()) == 1


def long_plan(**options) -> Plan:  # type: ignore[no-untyped-def]
    return plan(
        EventTrigger(event="signed_up"),
        send("a", "w"),
        WaitStep(id="w", next="b", duration=Duration(calendar_days=5)),
        send("b"),
        **options,
    )


def test_exit_when_event_and_contact_expression(world: World) -> None:
    world.load(
        long_plan(
            exit_when=(
                ExitCondition(event="account_deleted"),
                ExitCondition(expression="contact.unsubscribed"),
            )
        )
    )
    world.contact(id="c1")
    world.contact(id="c2")
    world.event("signed_up", "c1")
    world.event("signed_up", "c2")
    world.advance(timedelta(days=1))
    world.event("account_deleted", "c1")
    world.contact(id="c2", unsubscribed=True)
    world.finish(timedelta(days=10))
    assert world.exits("c1") == ["exit_when"] and world.exits("c2") == ["exit_when"]
    assert [s for s, _ in world.sends("c1")] == ["a"]


def test_goal_converts_and_exits_within_the_window(world: World) -> None:
    world.load(long_plan(goal=Goal(event="subscribed", within=Duration(calendar_days=3))))
    world.contact(id="c1")
    world.event("signed_up")
    world.advance(timedelta(days=2))
    world.event("subscribed")
    assert world.exits() == ["goal"]
    assert [h.kind for h in world.happenings if h.kind == "convert"] == ["convert"]


def test_goal_after_the_window_does_not_count(world: World) -> None:
    world.load(long_plan(goal=Goal(event="subscribed", within=Duration(calendar_days=1))))
    world.contact(id="c1")
    world.event("signed_up")
    world.advance(timedelta(days=2))
    world.event("subscribed")
    world.finish(timedelta(days=10))
    assert world.exits() == ["completed"]
    assert not [h for h in world.happenings if h.kind == "convert"]


def test_goal_without_exit_converts_once_even_after_the_enrollment_ended(world: World) -> None:
    world.load(
        plan(
            EventTrigger(event="signed_up"),
            goal=Goal(event="subscribed", within=Duration(calendar_days=10), exit=False),
        )
    )
    world.contact(id="c1")
    world.event("signed_up")
    assert world.exits() == ["completed"]
    world.advance(timedelta(days=2))
    world.event("subscribed")
    world.advance(timedelta(days=1))
    world.event("subscribed")
    enrollment = world.store.latest_enrollment("j", "c1")
    assert enrollment is not None and enrollment.converted_at == at("2026-03-04T08:00:00Z")
    assert len([h for h in world.happenings if h.kind == "convert"]) == 1


def test_paused_journey_drops_triggers_and_runs_due_steps_on_resume(world: World) -> None:
    active = long_plan()
    runner = world.load(active)
    world.contact(id="c1")
    world.contact(id="c2")
    world.event("signed_up", "c1")
    paused = replace(runner.plans["j"], status="paused")
    runner.set_plans({"j": paused})
    world.event("signed_up", "c2")  # dropped
    world.advance(timedelta(days=8))
    assert [s for s, _ in world.sends("c1")] == ["a"]
    runner.set_plans({"j": replace(paused, status="active")})
    world.finish(timedelta(hours=1))
    assert [s for s, _ in world.sends("c1")] == ["a", "b"]
    assert world.sends("c1")[1][1] == at("2026-03-10T08:00:00Z")
    assert not world.sends("c2")


def test_archived_journey_exits_in_flight_contacts(world: World) -> None:
    runner = world.load(long_plan())
    world.contact(id="c1")
    world.event("signed_up")
    runner.set_plans({"j": replace(runner.plans["j"], status="archived")})
    runner.activate()
    assert world.exits() == ["archived"]


def test_status_counts(world: World) -> None:
    world.load(long_plan(goal=Goal(event="subscribed", within=Duration(calendar_days=3))))
    for cid in ("c1", "c2", "c3"):
        world.contact(id=cid)
        world.event("signed_up", cid)
    world.event("subscribed", "c1")
    counts = world.store.journey_counts("j")
    assert counts.entered == 3 and counts.converted == 1 and counts.exited == {"goal": 1}
    assert counts.steps["w"].waiting == 2
    assert counts.steps["a"].outcomes == {"sent": 3}

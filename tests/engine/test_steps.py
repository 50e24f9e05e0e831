"""Each step kind, as a contact experiences it."""

from __future__ import annotations

from datetime import timedelta

from journey.engine.buckets import split_bucket
from journey.engine.steps import split_arm
from journey.localtime import parse_instant as at
from journey.model import (
    END,
    AttributeUpdate,
    BranchArm,
    BranchStep,
    Duration,
    EventTrigger,
    ExitStep,
    Plan,
    SendStep,
    SplitArm,
    SplitStep,
    UpdateStep,
    WaitForStep,
    WaitStep,
    WaitUntilStep,
    WebhookStep,
)
from journey.renderer import Renderer
from journey.renderer.introspect import WEBHOOK_BODY_NAMES
from tests.engine.engine_world import World


def plan(*steps, **options) -> Plan:  # type: ignore[no-untyped-def]
    options.setdefault("trigger", EventTrigger(event="signed_up"))
    return Plan(
        journey_id=options.pop("journey_id", "j"),
        name="J",
        kind="onboarding",
        steps=tuple(steps),
        **options,
    )


def send(step_id: str, next_: str = END, template: str = "t/x", channel: str = "email") -> SendStep:
    return SendStep(
        id=step_id,
        next=next_,
        channel=channel,
        template=template,
        message="sms" if channel == "sms" else "email",
    )


def test_send_then_wait_then_send_completes(world: World) -> None:
    world.load(
        plan(
            send("a", "w"),
            WaitStep(id="w", next="b", duration=Duration(calendar_days=2)),
            send("b"),
        )
    )
    world.contact(id="c1")
    world.event("signed_up")
    world.finish(timedelta(days=5))
    assert world.sends() == [("a", at("2026-03-02T08:00:00Z")), ("b", at("2026-03-04T08:00:00Z"))]
    assert world.exits() == ["completed"]


def test_wait_1d_keeps_local_10_00_across_spring_forward(world: World) -> None:
    world.clock.advance_to(at("2026-03-28T09:00:00Z"))  # 10:00 in Stockholm (CET)
    world.load(
        plan(
            send("a", "w"),
            WaitStep(id="w", next="b", duration=Duration(calendar_days=1)),
            send("b"),
            timezone="Europe/Stockholm",
        )
    )
    world.contact(id="c1")
    world.event("signed_up")
    world.finish(timedelta(days=3))
    assert world.sends()[1] == ("b", at("2026-03-29T10:00:00+02:00"))


def test_wait_1d_keeps_local_10_00_across_fall_back(world: World) -> None:
    world.clock.advance_to(at("2026-10-31T14:00:00Z"))  # 10:00 in New York (EDT)
    world.load(
        plan(
            send("a", "w"),
            WaitStep(id="w", next="b", duration=Duration(calendar_days=1)),
            send("b"),
        )
    )
    world.contact(id="c1", timezone="America/New_York")
    world.event("signed_up")
    world.finish(timedelta(days=3))
    assert world.sends()[1] == ("b", at("2026-11-01T10:00:00-05:00"))


def test_wait_until_resumes_on_the_next_allowed_weekday(world: World) -> None:
    world.clock.advance_to(at("2026-03-06T12:00:00Z"))  # Friday
    world.load(plan(WaitUntilStep(id="w", next="a", time="09:30", days=("mon", "tue")), send("a")))
    world.contact(id="c1", timezone="Europe/Stockholm")
    world.event("signed_up")
    world.finish(timedelta(days=5))
    assert world.sends() == [("a", at("2026-03-09T09:30:00+01:00"))]


def test_wait_until_entered_exactly_at_the_time_continues_at_once(world: World) -> None:
    world.clock.advance_to(at("2026-03-02T09:30:00Z"))
    world.load(plan(WaitUntilStep(id="w", next="a", time="09:30"), send("a")))
    world.contact(id="c1")
    world.event("signed_up")
    assert world.sends() == [("a", at("2026-03-02T09:30:00Z"))]


def wait_for_plan() -> Plan:
    return plan(
        WaitForStep(
            id="wf",
            next="yes",
            event="project_created",
            timeout=Duration(calendar_days=3),
            on_timeout="no",
            where="event.properties.size > 1",
        ),
        send("yes"),
        send("no"),
    )


def test_wait_for_resumes_on_a_matching_event(world: World) -> None:
    world.load(wait_for_plan())
    world.contact(id="c1")
    world.event("signed_up")
    world.advance(timedelta(days=1))
    world.event("project_created", size=1)  # `where` fails
    world.advance(timedelta(hours=1))
    world.event("project_created", size=5)
    world.finish(timedelta(days=5))
    assert [s for s, _ in world.sends()] == ["yes"]


def test_wait_for_times_out_to_on_timeout(world: World) -> None:
    world.load(wait_for_plan())
    world.contact(id="c1")
    world.event("signed_up")
    world.finish(timedelta(days=5))
    assert world.sends() == [("no", at("2026-03-05T08:00:00Z"))]


def test_wait_for_event_exactly_at_the_deadline_counts(world: World) -> None:
    world.load(wait_for_plan())
    world.contact(id="c1")
    world.event("signed_up")
    world.advance(at("2026-03-05T08:00:00Z"))
    world.event("project_created", size=2)
    world.finish(timedelta(days=1))
    assert [s for s, _ in world.sends()] == ["yes"]


def test_branch_takes_the_first_arm_that_holds_else_the_else(world: World) -> None:
    branch = BranchStep(
        id="br",
        next="other",
        arms=(
            BranchArm(condition="contact.plan == 'pro'", goto="pro"),
            BranchArm(condition="has_event('bought')", goto="buyer"),
        ),
    )
    world.load(plan(branch, send("pro"), send("buyer"), send("other")))
    world.contact(id="c1", plan="pro")
    world.contact(id="c2")
    world.contact(id="c3")
    world.event("bought", "c2")
    for cid in ("c1", "c2", "c3"):
        world.event("signed_up", cid)
    assert [s for s, _ in world.sends("c1")] == ["pro"]
    assert [s for s, _ in world.sends("c2")] == ["buyer"]
    assert [s for s, _ in world.sends("c3")] == ["other"]


def test_split_bucket_matches_the_spec_example() -> None:
    assert split_bucket("onboarding-welcome", "celebrate", "c1") == 8020
    step = SplitStep(
        id="celebrate",
        next=END,
        arms=(
            SplitArm(weight=90, goto="congrats", name="congrats"),
            SplitArm(weight=10, goto=END, name="control"),
        ),
    )
    assert split_arm(step, "onboarding-welcome", "c1") == ("congrats", "congrats")


def test_split_ratios_over_10000_contacts_are_within_2_percent() -> None:
    step = SplitStep(
        id="s",
        next=END,
        arms=(
            SplitArm(weight=50, goto="a", name="a"),
            SplitArm(weight=30, goto="b", name="b"),
            SplitArm(weight=20, goto="c", name="c"),
        ),
    )
    counts = {"a": 0, "b": 0, "c": 0}
    for number in range(10_000):
        name, _ = split_arm(step, "welcome", f"contact-{number}")
        counts[name] += 1
    for arm, weight in (("a", 50), ("b", 30), ("c", 20)):
        assert abs(counts[arm] / 10_000 - weight / 100) <= 0.02, counts
    again = [split_arm(step, "welcome", f"contact-{n}")[0] for n in range(100)]
    assert again == [split_arm(step, "welcome", f"contact-{n}")[0] for n in range(100)]


def test_split_stores_the_arm_on_the_enrollment(world: World) -> None:
    split = SplitStep(
        id="celebrate",
        next=END,
        arms=(
            SplitArm(weight=90, goto="congrats", name="congrats"),
            SplitArm(weight=10, goto=END, name="control"),
        ),
    )
    world.load(plan(split, send("congrats"), journey_id="onboarding-welcome"))
    world.contact(id="c1")
    world.event("signed_up")
    enrollment = world.store.latest_enrollment("onboarding-welcome", "c1")
    assert enrollment is not None and enrollment.split_arm == "congrats"


def test_every_split_of_a_journey_keeps_its_arm_on_the_enrollment(world: World) -> None:
    holdout = SplitStep(
        id="holdout",
        next="subject",
        arms=(
            SplitArm(weight=50, goto="subject", name="treatment"),
            SplitArm(weight=50, goto=END, name="control"),
        ),
    )
    subject = SplitStep(
        id="subject",
        next="mail",
        arms=(
            SplitArm(weight=50, goto="mail", name="a"),
            SplitArm(weight=50, goto="mail", name="b"),
        ),
    )
    world.load(plan(holdout, subject, send("mail")))
    people = [f"c{n}" for n in range(40)]
    for contact_id in people:
        world.contact(id=contact_id)
        world.event("signed_up", contact_id=contact_id)
    arms = {}
    for contact_id in people:
        enrollment = world.store.latest_enrollment("j", contact_id)
        assert enrollment is not None
        arms[contact_id] = enrollment.arms
    treated = [c for c in people if arms[c].get("holdout") == "treatment"]
    assert treated and len(treated) < len(people)
    for contact_id in people:
        expected = {"holdout": split_arm(holdout, "j", contact_id)[0]}
        if contact_id in treated:
            expected["subject"] = split_arm(subject, "j", contact_id)[0]
        assert arms[contact_id] == expected


def test_update_sets_literal_expression_and_deletes_with_null(world: World) -> None:
    update = UpdateStep(
        id="u",
        next=END,
        updates=(
            AttributeUpdate(attribute="stage", value="activated"),
            AttributeUpdate(attribute="points", expr="contact.points + 50"),
            AttributeUpdate(attribute="old", value=None),
        ),
    )
    world.load(plan(update))
    world.contact(id="c1", points=10, old="x")
    world.event("signed_up")
    contact = world.store.get_contact("c1")
    assert contact is not None
    assert contact.attributes == {"stage": "activated", "points": 60}


def test_expression_failure_fails_the_step_and_exits_with_error(world: World) -> None:
    update = UpdateStep(
        id="u", next=END, updates=(AttributeUpdate(attribute="points", expr="contact.points + 50"),)
    )
    world.load(plan(update))
    world.contact(id="c1")  # no points attribute: undefined + 50 fails
    world.contact(id="c2", points=1)
    world.event("signed_up")
    world.event("signed_up", "c2")
    assert world.exits() == ["error"]
    assert world.kinds("fail")[0][0] == "u"
    assert world.exits("c2") == ["completed"]


def test_render_failure_fails_the_send_and_exits_with_error(world: World) -> None:
    world.load(plan(send("a", template="broken/x")))
    world.contact(id="c1")
    world.event("signed_up")
    assert world.sends() == []
    assert world.exits() == ["error"]
    records = world.store.step_records("j:c1:1")
    assert [(r.step_id, r.outcome) for r in records] == [("a", "failed")]


def test_webhook_posts_the_rendered_body_and_goes_on(world: World) -> None:
    hook = WebhookStep(
        id="crm", next="a", url="http://127.0.0.1/x", body={"contact": "{{ contact.id }}", "n": 1}
    )
    world.load(plan(hook, send("a")))
    world.contact(id="c1")
    world.event("signed_up")
    assert [w.body for w in world.sink.webhooks] == [{"contact": "c1", "n": 1}]
    assert [s for s, _ in world.sends()] == ["a"]


def test_a_webhook_body_gets_every_name_validate_lets_it_use(world: World) -> None:
    """journey.validator.webhook_bodies passes these names: each renders at call time."""
    world.renderer = Renderer(world.tmp / "templates", world.tmp / "locales")
    body = {name: f"{{{{ {name} is defined }}}}" for name in sorted(WEBHOOK_BODY_NAMES)}
    hook = WebhookStep(id="crm", next=END, url="http://127.0.0.1/x", body=body)
    world.load(plan(hook))
    world.contact(id="c1")
    world.event("signed_up")
    assert [w.body for w in world.sink.webhooks] == [dict.fromkeys(body, "True")]


def test_exit_step_ends_with_its_reason(world: World) -> None:
    world.load(plan(ExitStep(id="stop", reason="not_eligible"), send("a")))
    world.contact(id="c1")
    world.event("signed_up")
    assert world.exits() == ["not_eligible"]
    assert world.sends() == []


def test_loop_visits_get_distinct_delivery_keys(world: World) -> None:
    loop = plan(
        send("a", "w"),
        WaitStep(id="w", next="br", duration=Duration(calendar_days=1)),
        BranchStep(
            id="br",
            next=END,
            arms=(BranchArm(condition="event_count('journey.sent') < 3", goto="a"),),
        ),
    )
    world.load(loop)
    world.contact(id="c1")
    world.event("signed_up")
    world.finish(timedelta(days=10))
    keys = {m.delivery_key for m in world.sink.messages}
    assert len(world.sink.messages) == 3 and len(keys) == 3

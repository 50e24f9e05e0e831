"""A validated journey compiles to a plan with resolved targets and a stable hash."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from journey.compiler import compile_journey, plan_from_dict, plan_to_dict
from journey.errors import InvalidInput
from journey.loader import load_yaml, load_yaml_text
from journey.model import END, BranchStep, SplitStep, WaitForStep
from journey.workspace import Workspace, load_workspace

ROOT = Path(__file__).resolve().parents[2]

JOURNEY = """\
id: onboarding-welcome
name: Welcome series
kind: onboarding
locales: [en, sv]
trigger: { event: signed_up, where: "event.properties.plan == 'trial'" }
goal: { event: subscription_started, within: 14d }
quiet_hours: off
steps:
  - id: welcome
    send: { channel: email, template: onboarding/welcome }
  - id: pause
    wait: 1d12h
  - id: activated
    branch:
      - if: has_event('project_created')
        goto: celebrate
      - else: nudge
  - id: nudge
    wait_for: { event: project_created, timeout: 3d, on_timeout: reminder }
    next: celebrate
  - id: reminder
    send: { channel: sms, template: onboarding/reminder }
    next: end
  - id: celebrate
    split:
      - { weight: 90, goto: congrats }
      - { weight: 10, goto: end, name: control }
  - id: congrats
    send: { channel: email, template: onboarding/congrats }
"""


def compiled(text: str = JOURNEY):  # type: ignore[no-untyped-def]
    return compile_journey(load_yaml_text(text, "j.yaml"), Workspace(root=ROOT))


def test_targets_are_resolved() -> None:
    plan = compiled()
    assert plan.step("welcome").next == "pause"
    branch = plan.step("activated")
    assert isinstance(branch, BranchStep) and branch.next == "nudge"
    assert branch.arms[0].goto == "celebrate"
    wait_for = plan.step("nudge")
    assert isinstance(wait_for, WaitForStep)
    assert (wait_for.next, wait_for.on_timeout) == ("celebrate", "reminder")
    assert plan.step("reminder").next == END
    assert plan.step("congrats").next == END
    split = plan.step("celebrate")
    assert isinstance(split, SplitStep) and split.arms[1].name == "control"


def test_durations_and_channel_messages() -> None:
    plan = compiled()
    pause = plan_to_dict(plan)["steps"][1]
    assert pause["duration"] == {"calendar_days": 1, "seconds": 43200}
    assert plan.step("reminder").message == "sms"  # type: ignore[union-attr]


def test_quiet_hours_off_is_false_and_absent_cap_inherits() -> None:
    plan = compiled()
    assert plan.quiet_hours is False
    assert plan.frequency_cap is None


def test_defaults() -> None:
    plan = compiled()
    assert plan.reentry == "never" and plan.status == "active" and plan.on_change == "keep"


def test_recurring_triggers_default_to_reentry_always() -> None:
    text = JOURNEY.replace(
        "trigger: { event: signed_up, where: \"event.properties.plan == 'trial'\" }",
        "trigger: { inactivity: { event: session_started, for: 30d } }",
    )
    assert compiled(text).reentry == "always"


def test_hash_ignores_names_and_comments_but_not_behaviour() -> None:
    base = compiled().plan_hash
    renamed = JOURNEY.replace("name: Welcome series", "name: Renamed  # comment\nowner: growth")
    assert compiled(renamed).plan_hash == base
    changed = JOURNEY.replace("wait: 1d12h", "wait: 2d")
    assert compiled(changed).plan_hash != base
    assert len(base) == 64


def test_plan_round_trips_through_json() -> None:
    plan = compiled()
    assert plan_from_dict(plan_to_dict(plan)) == plan


def test_compile_refuses_a_document_with_errors() -> None:
    doc = load_yaml_text("id: a\nid: b\n", "bad.yaml")
    with pytest.raises(InvalidInput):
        compile_journey(doc, Workspace(root=ROOT))


def test_every_example_round_trips() -> None:
    workspace, _ = load_workspace(ROOT)
    examples = sorted((ROOT / "journeys" / "examples").glob("*.yaml"))
    examples = [p for p in examples if not p.name.endswith(".test.yaml")]
    assert len(examples) >= 6
    for path in examples:
        plan = compile_journey(load_yaml(path), workspace)
        again = plan_from_dict(plan_to_dict(plan))
        assert again == plan, path
        assert dataclasses.replace(again, name="x").plan_hash == plan.plan_hash


def test_an_auto_winner_compiles_round_trips_and_is_behaviour() -> None:
    plain = compiled()
    text = JOURNEY.replace(
        "      - { weight: 10, goto: end, name: control }\n",
        "      - { weight: 10, goto: end, name: control }\n"
        "    auto_winner: { metric: 'conversion:order_placed', after: 2w, confidence: 0.99 }\n",
    )
    plan = compiled(text)
    split = next(s for s in plan.steps if isinstance(s, SplitStep))
    assert split.auto_winner is not None
    assert (split.auto_winner.metric, split.auto_winner.event) == ("conversion", "order_placed")
    assert split.auto_winner.after is not None and split.auto_winner.after.calendar_days == 14
    assert split.auto_winner.sample is None and split.auto_winner.confidence == 0.99
    assert plan_from_dict(plan_to_dict(plan)) == plan
    assert plan.plan_hash != plain.plan_hash
    # a split without one keeps the plan hash it had before auto_winner existed
    assert "auto_winner" not in str(plan_to_dict(plain))


def test_latest_events_compile_round_trip_and_are_behaviour() -> None:
    plain = compiled()
    text = JOURNEY.replace(
        "quiet_hours: off\n", "quiet_hours: off\nlatest_events: { last_order: order_placed }\n"
    )
    plan = compiled(text)
    assert [(latest.name, latest.event) for latest in plan.latest_events] == [
        ("last_order", "order_placed")
    ]
    assert plan_from_dict(plan_to_dict(plan)) == plan
    assert plan.plan_hash != plain.plan_hash
    # a plan stored before latest_events existed reads back without any
    stored = plan_to_dict(plain)
    del stored["latest_events"]
    assert plan_from_dict(stored) == plain

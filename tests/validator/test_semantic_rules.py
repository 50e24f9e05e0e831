"""Rules across a journey's parts, duplicate ids across files, and any shape of data."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from journey.loader import load_yaml_text
from journey.validator.semantic import check_across, check_semantics
from tests.validator.semantic_support import (
    HEADER,
    check,
    codes,
    corpus_workspace,
    only,
    with_steps,
    with_trigger,
)

SEND = "  - id: s\n    send: { channel: email, template: t/x }\n"


def test_a_schedule_without_an_audience_would_message_everyone() -> None:
    text = with_trigger('{ schedule: { cron: "0 9 * * MON" } }')
    assert codes(check(text)) == [("schedule-needs-audience", 4, 12)]
    with_audience = with_trigger(
        '{ schedule: { cron: "0 9 * * MON" } }', "audience: contact.digest_opt_in\n"
    )
    assert check(with_audience) == []


@pytest.mark.parametrize(
    ("trigger", "warned"),
    [
        ('{ schedule: { cron: "0 9 * * MON" } }', True),
        ("{ date: { attribute: birthday, repeat: yearly } }", True),
        ("{ inactivity: { event: session_started, for: 30d } }", True),
        ("{ date: { attribute: trial_ends_at, offset: -1d } }", False),
        ("{ event: signed_up }", False),
        ("{ segment: \"contact.tier == 'gold'\" }", False),
    ],
)
def test_reentry_never_on_a_recurring_trigger_is_a_warning(trigger: str, warned: bool) -> None:
    top = "audience: contact.digest_opt_in\nreentry: never\n"
    found = check(with_trigger(trigger, top))
    assert [(d.code, d.severity) for d in found] == (
        [("reentry-never-recurring", "warning")] if warned else []
    )


def test_a_step_waiting_for_the_goals_event_never_sees_it() -> None:
    goal = "goal: { event: subscription_started, within: 14d }\n"
    text = with_steps(
        "  - id: w\n    wait_for: { event: subscription_started, timeout: 3d }\n"
        "  - id: b\n    branch:\n      - if: has_event('subscription_started')\n        goto: end\n"
        + SEND,
        top=goal,
    )
    found = check(text)
    assert [(d.code, d.severity, d.location.line) for d in found] == [
        ("goal-shadows-step", "warning", 8),
        ("goal-shadows-step", "warning", 11),
    ]
    assert check(text.replace("within: 14d", "within: 14d, exit: false")) == []


@pytest.mark.parametrize(
    ("attribute", "code"),
    [
        ("birthday", None),
        ("trial_ends_at", None),
        ("created_at", None),
        ("tier", "date-attribute-type"),
        ("email", "date-attribute-type"),
        ("brithday", "unknown-attribute"),
    ],
)
def test_a_date_trigger_needs_a_date_attribute(attribute: str, code: str | None) -> None:
    found = check(with_trigger(f"{{ date: {{ attribute: {attribute} }} }}"))
    assert [d.code for d in found] == ([code] if code else [])


def test_a_journey_id_used_twice_is_reported_in_the_second_file_naming_the_first() -> None:
    first = load_yaml_text(HEADER + "steps:\n" + SEND, "journeys/a.yaml")
    other = load_yaml_text(HEADER.replace("j-test", "other") + "steps:\n" + SEND, "journeys/b.yaml")
    second = load_yaml_text("# copy\n" + HEADER + "steps:\n" + SEND, "journeys/c.yaml")
    found = check_across([first, other, second])
    problem = only(found, "duplicate-journey-id")
    assert str(problem.location) == "journeys/c.yaml:2:1"
    assert "journeys/a.yaml" in problem.message


def test_every_problem_in_a_file_is_reported_in_one_run() -> None:
    text = with_steps(
        "  - id: a\n    send: { channel: emial, template: t/x }\n    next: nowhere\n"
        "  - id: a\n    wait: 2days\n",
        top="audience: contact.frist_name == 'A'\ntimezone: Mars/Olympus\n",
    )
    assert sorted(d.code for d in check(text)) == [
        "duplicate-step-id",
        "invalid-duration",
        "unknown-attribute",
        "unknown-channel",
        "unknown-step-target",
        "unknown-timezone",
        "unreachable-step",  # `nowhere` is not close to any step, so the second `a` is skipped
    ]


WEIRD_SHAPES: list[Any] = [
    {"steps": "not a list"},
    {"steps": [None, 3, "x", [], {"id": 5, "wait": {"x": 1}}]},
    {"steps": [{"id": "a", "branch": "x"}, {"id": "b", "split": [{"weight": "50"}, 7]}]},
    {"steps": [{"id": "a", "split": [{"weight": True, "goto": 1}]}]},
    {"steps": [{"id": ["x"], "next": {"a": 1}, "exit": 3}]},
    {"trigger": ["event"], "goal": "x", "exit_when": {"a": 1}, "quiet_hours": [1]},
    {"trigger": {"date": "birthday", "schedule": {"cron": 5, "timezone": 3}}, "audience": 7},
    {"trigger": {"inactivity": {"for": ["1d"]}, "where": {"x": 1}}, "reentry": True},
    {"steps": [{"id": "u", "update": ["a", "b"]}, {"id": "w", "wait_for": ["x"]}]},
    {"steps": [{"id": "u", "update": {1: {"expr": 5}}}], "timezone": None},
    {"exit_when": [None, 5, {"event": None, "where": None}], "goal": {"event": 1, "exit": "no"}},
]


@pytest.mark.parametrize("data", WEIRD_SHAPES)
def test_any_shape_of_data_is_survived_without_an_internal_error(data: Any) -> None:
    doc = load_yaml_text(yaml.safe_dump(data), "weird.yaml")
    found = check_semantics(doc, corpus_workspace())
    assert "internal-check-error" not in [d.code for d in found]

"""A plan in a marketer's words: settings of the journey and of each step, as rows.

Each row is (label, value); the page shows them as a definition list. Where a
step leads comes from journey.diagram.edges, so the page and the diagram agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from journey.compiler import format_duration
from journey.diagram import describe_trigger, edges
from journey.model import (
    BranchStep,
    DateTrigger,
    EventTrigger,
    ExitStep,
    Plan,
    ScheduleTrigger,
    SendStep,
    SplitStep,
    Step,
    UpdateStep,
    WaitForStep,
    WaitStep,
    WaitUntilStep,
    WebhookStep,
)

Rows = list[tuple[str, str]]

KIND_NAMES = {
    "send": "Send a message",
    "wait": "Wait",
    "wait_until": "Wait until a time of day",
    "wait_for": "Wait for an event",
    "branch": "Branch",
    "split": "A/B split",
    "update": "Update the contact",
    "webhook": "Call a webhook",
    "exit": "Exit",
}


@dataclass(frozen=True, slots=True)
class Exit:
    """One way out of a step: `when` in words, `target` a step id or `end`."""

    when: str
    target: str


def trigger_text(plan: Plan) -> str:
    trigger = plan.trigger
    text = describe_trigger(trigger)
    if isinstance(trigger, EventTrigger) and trigger.where:
        text = f"event: {trigger.event} where {trigger.where}"
    return text


def journey_rows(plan: Plan) -> Rows:
    rows: Rows = [("Trigger", trigger_text(plan))]
    if isinstance(plan.trigger, (DateTrigger, ScheduleTrigger)):
        rows.append(("Trigger type", f"{plan.trigger.kind} (time-based)"))
    rows.append(("Audience", plan.audience or "everyone the trigger brings"))
    reentry = plan.reentry
    rows.append(
        ("Re-entry", reentry if isinstance(reentry, str) else f"after {format_duration(reentry)}")
    )
    for condition in plan.exit_when:
        if condition.event:
            where = f" where {condition.where}" if condition.where else ""
            rows.append(("Exits when", f"event {condition.event}{where}"))
        else:
            rows.append(("Exits when", condition.expression or ""))
    if plan.goal is not None:
        rows.append(("Goal", f"{plan.goal.event} within {format_duration(plan.goal.within)}"))
    rows += _rules(plan)
    rows.append(("Locales", ", ".join(plan.locales) + f" (fallback {plan.locales[0]})"))
    rows.append(("Time zone", plan.timezone or "the workspace's default"))
    rows.append(("Category", plan.category))
    rows.append(("Plan hash", plan.plan_hash[:12]))
    return rows


def _rules(plan: Plan) -> Rows:
    rows: Rows = []
    if plan.quiet_hours is False:
        rows.append(("Quiet hours", "off"))
    elif plan.quiet_hours is not None:
        rows.append(
            ("Quiet hours", f"{plan.quiet_hours.start}–{plan.quiet_hours.end} contact-local")
        )
    if plan.frequency_cap is False:
        rows.append(("Frequency cap", "off"))
    elif plan.frequency_cap is not None:
        cap = plan.frequency_cap
        rows.append(
            ("Frequency cap", f"{cap.max} per {format_duration(cap.per)}, then {cap.on_cap}")
        )
    return rows


def step_rows(step: Step) -> Rows:
    if isinstance(step, SendStep):
        channel = (
            step.channel if step.channel == step.message else f"{step.channel} ({step.message})"
        )
        return [("Channel", channel), ("Template", step.template)]
    if isinstance(step, WaitStep):
        return [("Duration", format_duration(step.duration))]
    if isinstance(step, WaitUntilStep):
        days = "every day" if len(step.days) == 7 else ", ".join(d.title() for d in step.days)
        return [("Time", f"{step.time} contact-local"), ("Days", days)]
    if isinstance(step, WaitForStep):
        rows = [("Event", step.event), ("Timeout", format_duration(step.timeout))]
        return rows + ([("Where", step.where)] if step.where else [])
    if isinstance(step, (BranchStep, SplitStep)):
        return []  # the arms are its exits
    if isinstance(step, UpdateStep):
        return [
            (u.attribute, f"= {u.expr}" if u.expr else json.dumps(u.value, ensure_ascii=False))
            for u in step.updates
        ]
    if isinstance(step, WebhookStep):
        target = step.channel or step.url or ""
        rows = [("Endpoint", f"{target}{step.path or ''}"), ("On failure", step.on_failure)]
        if step.body is not None:
            rows.append(("Body", json.dumps(step.body, ensure_ascii=False, indent=1)))
        return rows
    assert isinstance(step, ExitStep)
    return [("Reason", step.reason)]


def step_exits(plan: Plan, step: Step) -> list[Exit]:
    found: list[Exit] = []
    for edge in edges(plan):
        if edge.source != step.id:
            continue
        when = "then"
        if isinstance(step, BranchStep):
            when = "otherwise" if edge.label == "else" else f"if {edge.label}"
        elif isinstance(step, SplitStep):
            when = edge.label
        elif isinstance(step, WaitForStep):
            when = (
                f"after {format_duration(step.timeout)} without it"
                if edge.label == "timeout"
                else f"on {edge.label}"
            )
        found.append(Exit(when, edge.target))
    return found

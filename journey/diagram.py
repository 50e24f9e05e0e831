"""Plan -> diagram text (Mermaid for pull requests, Graphviz DOT for tools).

Both formats come from one list of nodes and edges so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from journey.compiler import format_duration
from journey.model import (
    END,
    BranchStep,
    DateTrigger,
    EventTrigger,
    ExitStep,
    InactivityTrigger,
    Plan,
    ScheduleTrigger,
    SegmentTrigger,
    SendStep,
    SplitStep,
    Step,
    Trigger,
    UpdateStep,
    WaitForStep,
    WaitStep,
    WaitUntilStep,
    WebhookStep,
)

TRIGGER_NODE = "trigger"


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    label: str = ""


def describe_trigger(trigger: Trigger) -> str:
    if isinstance(trigger, EventTrigger):
        return f"event: {trigger.event}" + (" (filtered)" if trigger.where else "")
    if isinstance(trigger, SegmentTrigger):
        return f"segment: {trigger.condition}"
    if isinstance(trigger, DateTrigger):
        repeat = ", yearly" if trigger.repeat else ""
        offset = f" {format_duration(trigger.offset)}" if not trigger.offset.is_zero else ""
        return f"date: {trigger.attribute}{offset} at {trigger.at}{repeat}"
    if isinstance(trigger, ScheduleTrigger):
        zone = f" ({trigger.timezone})" if trigger.timezone else ""
        return f"schedule: {trigger.cron}{zone}"
    assert isinstance(trigger, InactivityTrigger)
    return f"inactivity: no {trigger.event} for {format_duration(trigger.for_)}"


def describe_step(step: Step) -> str:
    if isinstance(step, SendStep):
        return f"send {step.message}: {step.template}"
    if isinstance(step, WaitStep):
        return f"wait {format_duration(step.duration)}"
    if isinstance(step, WaitUntilStep):
        days = "" if len(step.days) == 7 else " " + ",".join(step.days)
        return f"wait until {step.time}{days}"
    if isinstance(step, WaitForStep):
        return f"wait for {step.event} (up to {format_duration(step.timeout)})"
    if isinstance(step, BranchStep):
        return "branch"
    if isinstance(step, SplitStep):
        return "split " + "/".join(str(arm.weight) for arm in step.arms)
    if isinstance(step, UpdateStep):
        return "update " + ", ".join(u.attribute for u in step.updates)
    if isinstance(step, WebhookStep):
        return f"webhook {step.channel or step.url or ''}{step.path or ''}"
    assert isinstance(step, ExitStep)
    return f"exit: {step.reason}"


def edges(plan: Plan) -> list[Edge]:
    out = [Edge(TRIGGER_NODE, plan.first_step)]
    for step in plan.steps:
        if isinstance(step, BranchStep):
            out += [Edge(step.id, arm.goto, arm.condition) for arm in step.arms]
            out.append(Edge(step.id, step.next, "else"))
        elif isinstance(step, SplitStep):
            out += [Edge(step.id, arm.goto, f"{arm.name} {arm.weight}%") for arm in step.arms]
        elif isinstance(step, WaitForStep):
            out.append(Edge(step.id, step.next, step.event))
            out.append(Edge(step.id, step.on_timeout, "timeout"))
        elif isinstance(step, ExitStep):
            continue
        else:
            out.append(Edge(step.id, step.next))
    return out


def _used_end(plan: Plan) -> bool:
    return any(edge.target == END for edge in edges(plan))


def to_mermaid(plan: Plan) -> str:
    ids = _mermaid_ids(plan)
    trigger_id = _node_id(TRIGGER_NODE)
    lines = [
        "flowchart TD",
        f'  {trigger_id}(["{_mermaid_text(describe_trigger(plan.trigger))}"])',
    ]
    for step in plan.steps:
        text = _mermaid_text(f"{step.id}: {describe_step(step)}")
        shape = (
            "{{" + f'"{text}"' + "}}"
            if isinstance(step, (BranchStep, SplitStep))
            else f'["{text}"]'
        )
        if isinstance(step, ExitStep):
            shape = f'(["{text}"])'
        lines.append(f"  {ids[step.id]}{shape}")
    if _used_end(plan):
        lines.append(f'  {ids[END]}(["end"])')
    for index, edge in enumerate(edges(plan)):
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        source = trigger_id if index == 0 else ids[edge.source]  # the first edge leaves the trigger
        lines.append(f"  {source} -->{label} {ids[edge.target]}")
    return "\n".join(lines) + "\n"


def _mermaid_ids(plan: Plan) -> dict[str, str]:
    """A distinct Mermaid id per step (and `end`): `a-b` and `a_b` would both be `s_a_b`."""
    taken = {_node_id(TRIGGER_NODE)}
    ids: dict[str, str] = {}
    for key in [*(step.id for step in plan.steps), END]:
        candidate, number = _node_id(key), 2
        while candidate in taken:
            candidate, number = f"{_node_id(key)}_{number}", number + 1
        taken.add(candidate)
        ids[key] = candidate
    return ids


def to_dot(plan: Plan) -> str:
    lines = [f'digraph "{_dot_text(plan.journey_id)}" {{', "  rankdir=TB;", "  node [shape=box];"]
    lines.append(
        f'  "{TRIGGER_NODE}" [shape=oval, label="{_dot_text(describe_trigger(plan.trigger))}"];'
    )
    for step in plan.steps:
        shape = "diamond" if isinstance(step, (BranchStep, SplitStep)) else "box"
        label = _dot_text(f"{step.id}\\n{describe_step(step)}")
        lines.append(f'  "{_dot_text(step.id)}" [shape={shape}, label="{label}"];')
    if _used_end(plan):
        lines.append(f'  "{END}" [shape=doublecircle, label="end"];')
    for edge in edges(plan):
        attrs = f' [label="{_dot_text(edge.label)}"]' if edge.label else ""
        lines.append(f'  "{_dot_text(edge.source)}" -> "{_dot_text(edge.target)}"{attrs};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_id(step_id: str) -> str:
    # Mermaid ids must avoid keywords such as `end`; a prefix keeps them safe.
    return "s_" + step_id.replace("-", "_")


def _mermaid_text(text: str) -> str:
    # `#` first: Mermaid reads `#name;` as an entity; a line break would end the statement
    text = " ".join(text.split())
    return (
        text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )


def _dot_text(text: str) -> str:
    return text.replace('"', '\\"')

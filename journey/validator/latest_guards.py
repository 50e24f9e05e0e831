"""Where a latest event may be none: `events.NAME.*` read before `events.NAME` is tested.

A name of `latest_events` is none for a contact who has no such event (within
event_retention), and reading into it (`.properties.total`, `.timestamp`) then
fails the step and exits the contact with `error`. A read is safe when the
expression tests the name itself (`events.last_order and …`, `… if
events.last_order else …`), when every path to the step passes a branch arm whose
condition requires it (`if: events.last_order and …`), or when the name reads the
trigger's own event, which is stored before the contact enters. Once there, a
latest event stays: a newer one can replace it, nothing in a journey removes it.
"""

from __future__ import annotations

from jinja2 import nodes

from journey.expressions import ExpressionSyntaxError, referenced_names, syntax_tree
from journey.validator.kept_events import KeptEvents, must_hold
from journey.validator.semantic_context import StepView, mapping, sequence, steps
from journey.validator.semantic_graph import Edge
from journey.validator.semantic_properties import entry_event

LATEST_EVENT_MAY_BE_NONE = "latest-event-may-be-none"


def latest_names(kept: KeptEvents) -> frozenset[str]:
    return frozenset(name for name, held in kept.kept.items() if held.is_latest)


def tested_latest_events(
    data: dict[str, object], kept: KeptEvents
) -> dict[int | None, frozenset[str]]:
    """Raw step index (None: journey-wide) -> latest names known not to be none there."""
    latest = latest_names(kept)
    trigger = entry_event(data)
    present = frozenset(n for n in latest if kept.kept[n].event == trigger and trigger)
    found: dict[int | None, frozenset[str]] = {None: present}
    views = steps(data)
    if not latest or not views:
        return found

    def after(edge: Edge, _order: int, before: frozenset[str]) -> frozenset[str]:
        return before | _required_by_arm(views[edge.source], edge, latest)

    held = must_hold(views, latest, present, after)
    found.update({views[position].index: names for position, names in enumerate(held)})
    return found


def _required_by_arm(view: StepView, edge: Edge, latest: frozenset[str]) -> frozenset[str]:
    """The latest names a branch arm's `if` requires, on the edge of its `goto`."""
    if view.action != "branch" or edge.path is None or edge.path[-1] != "goto":
        return frozenset()
    arms = sequence(view.body)
    arm_index = edge.path[-2]
    if not isinstance(arm_index, int) or arm_index >= len(arms):
        return frozenset()
    condition = mapping(arms[arm_index]).get("if")
    if not isinstance(condition, str):
        return frozenset()
    try:
        tree = syntax_tree(condition)
    except ExpressionSyntaxError:
        return frozenset()
    return frozenset(name for name in latest if _requires(tree, name))


def _requires(node: nodes.Node, name: str) -> bool:
    """True when `node` can hold only if `events.NAME` is not none."""
    if _is_latest(node, name):
        return True
    if isinstance(node, nodes.And):
        return _requires(node.left, name) or _requires(node.right, name)
    if isinstance(node, nodes.Not) and isinstance(node.node, nodes.Test):
        return node.node.name == "none" and _is_latest(node.node.node, name)
    if isinstance(node, nodes.Compare) and len(node.ops) == 1:
        operand = node.ops[0]
        is_none = isinstance(operand.expr, nodes.Const) and operand.expr.value is None
        return operand.op == "ne" and is_none and _is_latest(node.expr, name)
    return False


def _is_latest(node: nodes.Node, name: str) -> bool:
    return (
        isinstance(node, nodes.Getattr)
        and node.attr == name
        and isinstance(node.node, nodes.Name)
        and node.node.name == "events"
    )


def unguarded_reads(source: str, latest: frozenset[str]) -> list[str]:
    """Latest names the expression reads into without mentioning `events.NAME` itself."""
    try:
        names = referenced_names(source)
    except ExpressionSyntaxError:
        return []
    read_into = {
        dotted.split(".")[1]
        for dotted in names
        if dotted.startswith("events.") and dotted.count(".") >= 2
    }
    return sorted(name for name in read_into & latest if f"events.{name}" not in names)


def may_be_none_message(name: str, kept: KeptEvents) -> tuple[str, str]:
    """The warning's message and hint for reading into `events.NAME` untested."""
    event = kept.kept[name].event
    return (
        f"`events.{name}` may be none here: a contact with no `{event}` within"
        " event_retention has none, and reading into it fails the step",
        f"test it first (`events.{name} and …`, or `{{% if events.{name} %}}` in a template),"
        " or reach this step only through a branch arm whose `if` tests it.",
    )

"""Expressions: they must parse, and read only names that exist where they run.

Expressions are checked when a journey is validated, not first when a contact
reaches them: a typo like `contact.frist_name` would otherwise read as `none`
and silently change who gets a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from journey.durations import parse_duration
from journey.expressions import (
    FUNCTIONS,
    NAMES,
    ExpressionSyntaxError,
    called_functions,
    referenced_names,
    syntax_tree,
)
from journey.loader import JsonPath
from journey.model import RESERVED_CONTACT_KEYS
from journey.validator.semantic_budget import budget_problems
from journey.validator.semantic_context import Checker, mapping, sequence, steps
from journey.validator.semantic_events import check_event_name
from journey.validator.suggest import did_you_mean, listing, sentence

EVENT_FUNCTIONS = frozenset({"has_event", "event_count"})
BUDGET_HINT = (
    "Every evaluation runs under a budget (docs/templates.md, Budgets): smaller widths,"
    " counts and exponents."
)


@dataclass(frozen=True, slots=True)
class ExpressionSite:
    """An expression in the journey; ``event_scope`` when an event is being matched there."""

    path: JsonPath
    source: str
    event_scope: bool
    event: str | None = None  # the name of the event matched there, when it is named


def expression_sites(data: dict[str, object]) -> list[ExpressionSite]:
    sites: list[ExpressionSite] = []

    def add(path: JsonPath, value: object, event_scope: bool, event: object = None) -> None:
        if isinstance(value, str):
            name = event if isinstance(event, str) else None
            sites.append(ExpressionSite(path, value, event_scope, name))

    add(("audience",), data.get("audience"), False)
    trigger = mapping(data.get("trigger"))
    add(("trigger", "where"), trigger.get("where"), True, trigger.get("event"))
    add(("trigger", "segment"), trigger.get("segment"), False)
    for index, item in enumerate(sequence(data.get("exit_when"))):
        if isinstance(item, dict):
            add(("exit_when", index, "where"), item.get("where"), True, item.get("event"))
        else:
            add(("exit_when", index), item, False)
    goal = mapping(data.get("goal"))
    add(("goal", "where"), goal.get("where"), True, goal.get("event"))
    for view in steps(data):
        if view.action == "branch":
            for index, arm in enumerate(sequence(view.body)):
                add((*view.body_path, index, "if"), mapping(arm).get("if"), False)
        elif view.action == "wait_for":
            body = mapping(view.body)
            add((*view.body_path, "where"), body.get("where"), True, body.get("event"))
        elif view.action == "update":
            for key, value in mapping(view.body).items():
                add((*view.body_path, key, "expr"), mapping(value).get("expr"), False)
    return sites


def check_expressions(checker: Checker) -> None:
    for site in expression_sites(checker.data):
        try:
            names = referenced_names(site.source)
            calls = called_functions(site.source)
        except ExpressionSyntaxError as exc:
            checker.add(
                "expression-syntax",
                f"the expression does not parse: {exc.message}",
                site.path,
                hint="Expressions use Jinja syntax, e.g. `contact.plan == 'trial' and "
                "has_event('order_placed')`; inside `{ … }` put them in quotes.",
            )
            continue
        for name in sorted(names):
            _check_name(checker, site, name)
        for function, args in calls:
            if function in EVENT_FUNCTIONS:
                _check_event_call(checker, site, function, args)
        for _line, reason in budget_problems(syntax_tree(site.source)):
            checker.add(
                "budget-exceeded",
                f"the expression would fail every time it runs: {reason}",
                site.path,
                hint=BUDGET_HINT,
            )


def _check_name(checker: Checker, site: ExpressionSite, dotted: str) -> None:
    root, _, rest = dotted.partition(".")
    if root not in NAMES and root not in FUNCTIONS:
        checker.add(
            "unknown-name",
            f"`{root}` is not a name expressions know",
            site.path,
            hint=sentence(
                did_you_mean(root, NAMES | FUNCTIONS),
                f"expressions can use {listing(NAMES | FUNCTIONS)}; "
                "quote text, e.g. `contact.plan == 'trial'`.",
            ),
        )
    elif root == "event" and not site.event_scope:
        checker.add(
            "unknown-name",
            "`event` is not available here: no event is being matched",
            site.path,
            hint="`event` exists in the `where` of a trigger, wait_for, goal or exit_when; "
            "use `entry` for the event that enrolled the contact.",
        )
    elif root == "contact" and rest:
        _check_attribute(checker, rest.partition(".")[0], site.path)


def _check_attribute(checker: Checker, attribute: str, path: JsonPath) -> None:
    declared = checker.workspace.contact_attributes if checker.workspace else None
    if declared is None or attribute in declared or attribute in RESERVED_CONTACT_KEYS:
        return
    known = set(declared) | RESERVED_CONTACT_KEYS
    checker.add(
        "unknown-attribute",
        f"contact attribute `{attribute}` is not declared in workspace.yaml",
        path,
        hint=sentence(
            did_you_mean(attribute, known),
            "declare new attributes under `contact_attributes:`.",
        ),
    )


def check_update_attributes(checker: Checker) -> None:
    """`update` keys are contact attributes too: a typo there writes a new, unread one."""
    for view in steps(checker.data):
        if view.action != "update":
            continue
        for key in mapping(view.body):
            if isinstance(key, str) and key not in RESERVED_CONTACT_KEYS:
                _check_attribute(checker, key, (*view.body_path, key))


def _check_event_call(
    checker: Checker, site: ExpressionSite, function: str, args: list[object]
) -> None:
    if args and isinstance(args[0], str):
        check_event_name(checker, args[0], site.path)
    for arg in args[1:]:
        if not isinstance(arg, str):
            continue
        try:
            parse_duration(arg)
        except ValueError as exc:
            checker.add(
                "invalid-duration",
                f"`{function}(…, within=…)`: {exc}",
                site.path,
                hint="Write the window as a duration such as `7d` or `12h`.",
            )

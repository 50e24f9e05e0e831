"""Rules tying a journey's parts together: trigger and audience, reentry, goal, date field."""

from __future__ import annotations

from journey.expressions import ExpressionSyntaxError, called_functions
from journey.loader import BoolWord
from journey.model import RESERVED_CONTACT_KEYS
from journey.validator.semantic_context import Checker, mapping, sequence, steps, text
from journey.validator.suggest import did_you_mean, listing, sentence

DATE_TYPES = frozenset({"date", "datetime"})


def trigger_kind(trigger: object) -> str | None:
    if isinstance(trigger, str):
        return "event"
    for kind in ("event", "segment", "date", "schedule", "inactivity"):
        if kind in mapping(trigger):
            return kind
    return None


def is_recurring(trigger: object) -> bool:
    """Triggers that fire again and again for the same contact."""
    kind = trigger_kind(trigger)
    if kind in ("schedule", "inactivity"):
        return True
    date = mapping(mapping(trigger).get("date"))
    return kind == "date" and date.get("repeat") == "yearly"


def check_rules(checker: Checker) -> None:
    data = checker.data
    trigger = data.get("trigger")
    if trigger_kind(trigger) == "schedule" and data.get("audience") is None:
        checker.add(
            "schedule-needs-audience",
            "a `schedule` trigger needs an `audience`: it would otherwise enroll every contact",
            ("trigger", "schedule"),
            hint="Add e.g. `audience: contact.digest_opt_in` at the top level of the journey.",
        )
    if data.get("reentry") == "never" and is_recurring(trigger):
        checker.add(
            "reentry-never-recurring",
            f"`reentry: never` with a recurring {trigger_kind(trigger)} trigger: "
            "each contact goes through this journey only once",
            ("reentry",),
            severity="warning",
            hint="Remove `reentry` (the default for this trigger is `always`), "
            "or set a cool-down such as `30d`.",
        )
    _check_goal_shadows(checker)
    _check_date_attribute(checker)


def _goal_event(data: dict[str, object]) -> str | None:
    goal = mapping(data.get("goal"))
    exits = goal.get("exit", True)
    if exits is False or (isinstance(exits, BoolWord) and not exits.as_bool()):
        return None
    return text(goal.get("event"))


def _check_goal_shadows(checker: Checker) -> None:
    event = _goal_event(checker.data)
    if event is None:
        return
    hint = (
        "The goal exits the contact as soon as that event arrives, so this step never sees it; "
        "wait for another event, or set `exit: false` on the goal."
    )
    for view in steps(checker.data):
        if view.action == "wait_for" and mapping(view.body).get("event") == event:
            checker.add(
                "goal-shadows-step",
                f"this step waits for `{event}`, the goal's event",
                (*view.body_path, "event"),
                severity="warning",
                hint=hint,
            )
        if view.action != "branch":
            continue
        for index, arm in enumerate(sequence(view.body)):
            condition = mapping(arm).get("if")
            if isinstance(condition, str) and _asks_for(condition, event):
                checker.add(
                    "goal-shadows-step",
                    f"this branch tests `has_event('{event}')`, the goal's event",
                    (*view.body_path, index, "if"),
                    severity="warning",
                    hint=hint,
                )


def _asks_for(condition: str, event: str) -> bool:
    try:
        calls = called_functions(condition)
    except ExpressionSyntaxError:
        return False
    return any(
        name in ("has_event", "event_count") and args and args[0] == event for name, args in calls
    )


def _check_date_attribute(checker: Checker) -> None:
    date = mapping(mapping(checker.data.get("trigger")).get("date"))
    attribute = text(date.get("attribute"))
    declared = checker.workspace.contact_attributes if checker.workspace else None
    if attribute is None or declared is None:
        return
    path = ("trigger", "date", "attribute")
    if attribute in declared:
        kind = declared[attribute]
        if kind not in DATE_TYPES:
            checker.add(
                "date-attribute-type",
                f"attribute `{attribute}` is declared as {kind}, not as a date",
                path,
                hint="A date trigger needs an attribute declared `date` or `datetime` "
                "in workspace.yaml.",
            )
    elif attribute == "created_at":
        return
    elif attribute in RESERVED_CONTACT_KEYS:
        checker.add(
            "date-attribute-type",
            f"`{attribute}` is not a date",
            path,
            hint="Use a `date` or `datetime` attribute, e.g. `birthday` or `created_at`.",
        )
    else:
        dates = [name for name, kind in declared.items() if kind in DATE_TYPES]
        checker.add(
            "unknown-attribute",
            f"contact attribute `{attribute}` is not declared in workspace.yaml",
            path,
            hint=sentence(
                did_you_mean(attribute, [*declared, "created_at"]),
                f"date attributes: {listing([*dates, 'created_at'])}.",
            ),
        )

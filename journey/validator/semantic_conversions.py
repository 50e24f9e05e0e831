"""The workspace's `conversions:` block: declared events, and value properties of the right type.

A conversion event that never arrives, or a value property that holds text,
would make `journey report` show no revenue without saying why.
"""

from __future__ import annotations

from journey.validator.semantic_context import Checker, mapping, text
from journey.validator.suggest import did_you_mean, sentence

# property -> the types it must have in the event's declaration
_EXPECTED = {"value": "number", "currency": "string"}


def check_conversions(checker: Checker) -> None:
    """`conversion-unknown-event` and `conversion-property`, each at the offending key."""
    data = checker.data
    block = mapping(data.get("conversions"))
    declared = data.get("events") if isinstance(data.get("events"), dict) else None
    for name, spec in mapping(block.get("events")).items():
        path = ("conversions", "events", name)
        if declared is not None and name not in declared:
            checker.add(
                "conversion-unknown-event",
                f"conversion event `{name}` is not declared under `events`",
                path,
                hint=sentence(
                    did_you_mean(str(name), [str(k) for k in declared]),
                    "Declare the event with its properties, or correct the name.",
                ),
            )
            continue
        properties = mapping(declared.get(name)) if declared is not None else None
        for key, wanted in _EXPECTED.items():
            prop = text(mapping(spec).get(key))
            if prop is None or properties is None:
                continue
            kind = properties.get(prop)
            if kind is None:
                checker.add(
                    "conversion-property",
                    f"event `{name}` has no property `{prop}` to read the {key} from",
                    (*path, key),
                    hint=sentence(
                        did_you_mean(prop, [str(k) for k in properties]),
                        f"Declare `{prop}: {wanted}` on the event, or name one of its properties.",
                    ),
                    at_value=True,
                )
            elif kind != wanted:
                checker.add(
                    "conversion-property",
                    f"the {key} of `{name}` is read from `{prop}`, a {kind}, not a {wanted}",
                    (*path, key),
                    hint=f"The {key} property must be declared `{wanted}`.",
                    at_value=True,
                )


def check_surveys(checker: Checker) -> None:
    """`survey-declaration`: the survey's event is declared and its score property is a number."""
    data = checker.data
    declared = data.get("events") if isinstance(data.get("events"), dict) else None
    if declared is None:
        return
    for name, spec in mapping(data.get("surveys")).items():
        path = ("surveys", name)
        event = text(mapping(spec).get("event"))
        if event is None:
            continue
        if event not in declared:
            checker.add(
                "survey-declaration",
                f"survey `{name}` reads answers from `{event}`, not declared under `events`",
                (*path, "event"),
                hint=sentence(
                    did_you_mean(event, [str(k) for k in declared]),
                    "Declare the event with its properties, or correct the name.",
                ),
                at_value=True,
            )
            continue
        score = text(mapping(spec).get("score"))
        kind = mapping(declared.get(event)).get(score) if score else None
        if score is not None and kind != "number":
            what = f"a {kind}" if kind else "not a property of the event"
            checker.add(
                "survey-declaration",
                f"survey `{name}` reads its score from `{score}`, {what}; a score is a number",
                (*path, "score"),
                hint=f"Declare `{score}: number` on `{event}`, or name the score's property.",
                at_value=True,
            )


def check_churn(checker: Checker) -> None:
    """`churn-unknown-event`: every activity event of the churn rule is declared."""
    data = checker.data
    declared = data.get("events") if isinstance(data.get("events"), dict) else None
    activity = mapping(data.get("churn")).get("activity")
    if declared is None or not isinstance(activity, list):
        return
    for index, name in enumerate(activity):
        if isinstance(name, str) and name not in declared:
            checker.add(
                "churn-unknown-event",
                f"activity event `{name}` is not declared under `events`",
                ("churn", "activity", index),
                hint=sentence(
                    did_you_mean(name, [str(k) for k in declared]),
                    "Declare the event with its properties, or correct the name.",
                ),
                at_value=True,
            )

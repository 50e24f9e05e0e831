"""Sends: a variant's weights add up to 100, a `topic:` is one workspace.yaml declares."""

from __future__ import annotations

from journey.loader import JsonPath
from journey.validator.semantic_context import Checker, integer, mapping, steps, text
from journey.validator.suggest import did_you_mean, listing, sentence


def check_sends(checker: Checker) -> None:
    for view in steps(checker.data):
        if view.action != "send":
            continue
        body = mapping(view.body)
        _check_variants(checker, body.get("variants"), (*view.body_path, "variants"))
        topic = text(body.get("topic"))
        if topic is not None:
            _check_topic(checker, topic, (*view.body_path, "topic"))


def _check_variants(checker: Checker, given: object, path: JsonPath) -> None:
    variants = mapping(given)
    weights = [integer(mapping(v).get("weight")) for v in variants.values()]
    if not variants or any(w is None for w in weights):
        return  # the schema pass reports missing or non-integer weights
    total = sum(w for w in weights if w is not None)
    if total != 100:
        checker.add(
            "variant-weights",
            f"variant weights add up to {total}, not 100",
            path,
            hint=f"Adjust the weights so they sum to 100 (now {total}).",
        )


def _check_topic(checker: Checker, topic: str, path: JsonPath) -> None:
    declared = checker.workspace.topics if checker.workspace else {}
    if topic in declared:
        return
    checker.add(
        "unknown-topic",
        f"there is no topic `{topic}` in workspace.yaml",
        path,
        hint=sentence(
            did_you_mean(topic, declared),
            f"topics: {listing(declared)}." if declared else "Declare it under `topics:`.",
        ),
    )

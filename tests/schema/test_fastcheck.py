"""The compiled check gives jsonschema's verdict, on the samples and on many mutations of them."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from journey.loader import load_yaml_text
from journey.schema import SCHEMA_NAMES, load_schema
from journey.schema.fastcheck import equal, fast_checker
from journey.validator.yaml_values import normalise_bool_words
from tests.schema.samples import JOURNEY_TEST, KITCHEN_SINK, WORKSPACE

SAMPLES = {"journey": KITCHEN_SINK, "workspace": WORKSPACE, "journey-test": JOURNEY_TEST}

# values a marketer might plausibly put anywhere: near misses of every format
# fmt: off
VALUES = st.sampled_from(
    [
        "2d", "-7d", "2 days", "", "09:30", "9:30", "25:00", "no", "end", "x", "ok_id",
        "email", "smtp", "skip", "yearly", "2026-03-27T08:00:00Z", "2026-02-30T08:00:00Z",
        "50/s", "https://x.example", "${VAR}", "goal", "completed", "mon", "monday",
        0, 1, 50, 101, -1, 2.5, 3.0, True, False, None, [], {}, ["mon"], ["mon", "mon"],
        {"expr": "1"}, {"else": "a"}, {"if": "x", "goto": "y"}, {"weight": 50, "goto": "a"},
        {"event": "x"}, {"start": "21:00", "end": "08:00"},
    ]
).map(copy.deepcopy)  # fresh copies: drawn lists and mappings get edited
# fmt: on
KEYS = st.sampled_from(["id", "send", "wait", "else", "where", "kind", "x", "exit", "contact"])


@cache
def _sample(name: str) -> Any:
    doc = load_yaml_text(SAMPLES[name], f"{name}.yaml")
    normalise_bool_words(doc, name, {"vip": "boolean"})
    return doc.data


def _containers(node: Any, found: list[Any]) -> list[Any]:
    if isinstance(node, (dict, list)):
        found.append(node)
        for child in node.values() if isinstance(node, dict) else node:
            _containers(child, found)
    return found


@st.composite
def mutated(draw: st.DrawFn, name: str) -> Any:
    """A sample with a few random edits: values replaced, keys added or removed."""
    data = copy.deepcopy(_sample(name))
    for _ in range(draw(st.integers(1, 3))):
        containers = _containers(data, [])
        target = containers[draw(st.integers(0, len(containers) - 1))]
        action = draw(st.sampled_from(["replace", "add", "delete"]))
        if isinstance(target, dict):
            keys = list(target)
            if action == "add" or not keys:
                target[draw(KEYS)] = draw(VALUES)
            elif action == "delete":
                del target[keys[draw(st.integers(0, len(keys) - 1))]]
            else:
                target[keys[draw(st.integers(0, len(keys) - 1))]] = draw(VALUES)
        elif target and action != "add":
            index = draw(st.integers(0, len(target) - 1))
            if action == "delete":
                del target[index]
            else:
                target[index] = draw(VALUES)
        else:
            target.append(draw(VALUES))
    return data


@cache
def _reference(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        load_schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_samples_are_valid_for_both(name: str) -> None:
    data = _sample(name)
    assert _reference(name).is_valid(data)
    assert fast_checker(name)(data)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_verdict_matches_jsonschema_on_mutated_documents(name: str, data: st.DataObject) -> None:
    document = data.draw(mutated(name))
    assert fast_checker(name)(document) == _reference(name).is_valid(document)


def test_json_equality_keeps_booleans_apart_from_numbers() -> None:
    assert not equal(True, 1) and not equal(0, False)
    assert equal([1, {"a": "b"}], [1, {"a": "b"}]) and not equal([1], [1, 2])
    assert equal(3, 3.0)


def test_unknown_keyword_is_refused_rather_than_skipped() -> None:
    from journey.schema.fastcheck import _Compiler

    with pytest.raises(ValueError, match="patternProperties"):
        _Compiler({}).compile({"type": "object", "patternProperties": {"^a": {}}})

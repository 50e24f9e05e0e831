"""Expressions are checked before contacts reach them and cannot escape the sandbox."""

from __future__ import annotations

import pytest

from journey.errors import ExpressionError
from journey.expressions import (
    ExpressionSyntaxError,
    called_functions,
    compile_expression,
    referenced_names,
)


def test_referenced_names_are_dotted() -> None:
    names = referenced_names(
        "contact.country in ['SE'] and event.properties.plan == 'trial' and has_event('x')"
    )
    assert names == {"contact.country", "event.properties.plan", "has_event"}


def test_subscript_with_constant_counts_as_attribute() -> None:
    assert referenced_names("contact['first_name']") == {"contact.first_name"}


def test_evaluation() -> None:
    assert compile_expression("contact.points + 50").evaluate({"contact": {"points": 1}}) == 51


@pytest.mark.parametrize("source", ["a ==", "a }} {% b", "x y", "", "(1"])
def test_syntax_errors(source: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_expression(source)


@pytest.mark.parametrize("source", ["contact.points < 1e400", "-1e999 < contact.points", "[1e309]"])
def test_a_number_too_large_for_a_float_is_a_syntax_error_not_a_crash(source: str) -> None:
    with pytest.raises(ExpressionSyntaxError, match="too large to be a number"):
        compile_expression(source)


@pytest.mark.parametrize(
    "source",
    [
        "''.__class__.__mro__",
        "'a' * 10**9",
        "range(10**9) | list",
        "2 ** 100000",
        "contact.update({'x': 1})",
    ],
)
def test_hostile_expressions_fail_safely(source: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(source).evaluate({"contact": {}})


def test_called_functions_with_constant_arguments() -> None:
    assert called_functions("event_count('order', within='30d') > 2") == [
        ("event_count", ["order", "30d"])
    ]


def test_a_property_named_like_a_dict_method_is_the_property() -> None:
    """`entry.properties.items` is the cart's items, not `dict.items`."""
    entry = {"properties": {"items": [1, 2], "keys": 3, "values": "v"}}
    assert compile_expression("entry.properties.items | length").evaluate({"entry": entry}) == 2
    assert compile_expression("entry.properties.keys").evaluate({"entry": entry}) == 3
    without = {"entry": {"properties": {"a": 1}}}
    assert compile_expression("entry.properties.items is defined").evaluate(without) is False
    assert compile_expression("entry.properties.get('a', 0)").evaluate(without) == 1

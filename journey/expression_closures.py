"""Simple expressions compiled to Python closures that answer as the sandbox would.

Written by hand because it is a measured hot path: `journey simulate` spent about
11 % of its time evaluating audience, `where`, branch, goal and exit_when
expressions in the sandbox, and nearly all of them are a few lookups, literals
and comparisons. For each of those the sandbox builds the contact's values, a
budget and a Jinja context; a closure reads what it needs and compares.

The subset (anything else is None here and runs in the sandbox unchanged):
`contact.NAME` and `contact['NAME']`; `event`, `entry`, `events` and `now` with
dotted or `['key']` lookups into them; literals (str, int, finite float, bool,
none, lists and tuples of literals); `== != < <= > >= in not in`, chained as in
Python; `and`, `or`, `not`, unary `-` and `+`; `is [not] none / defined /
undefined / true / false`; `a if b else c`; and calls of has_event,
event_count and days_since (at most MAX_CALLS of them).

Why the answer is the sandbox's: Jinja compiles an expression to plain Python
operators on the values `environment.getattr`/`getitem` return (see
`_ENV.compile(..., raw=True)`). A closure applies the same operators to the same
values in the same order, and answers a lookup itself only where the sandbox's
lookup plainly gives a key's value or Undefined (a dict's key, a missing key
that is no dict method, an event's declared but absent property, None's
missing attribute, a datetime's fields). Every
other case raises Unanswerable, and any exception at all sends the caller to the
sandbox, whose answer (value or ExpressionError) is then the answer; so a
closure never has to reproduce an error message.

Why no budget is needed: the subset has no loops, filters or guarded operators
(`+ * % **`, `~`), its literals are at most MAX_EXPRESSION_LENGTH characters,
and with at most MAX_CALLS calls (10 units of work each) the sandbox never
reaches its first look at the clock (256 units), so no budget can fail an
evaluation a closure answers. The only work on values of unbounded size is a
comparison or `in`, which the sandbox runs unguarded too.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol, cast

from jinja2 import Environment, nodes

from journey.event_properties import EventProperties

MAX_CALLS = 16  # under 25.6 calls, the sandbox's budget never looks at the clock
MAX_DEPTH = 64  # nesting of the closures (a deeper expression runs in the sandbox)
INT_BITS = 4_096  # journey.budget.Limits.int_bits: a call's int result is checked against it

VARIABLES = frozenset({"event", "entry", "events", "now"})
FUNCTIONS = frozenset({"has_event", "event_count", "days_since"})
TESTS = frozenset({"none", "defined", "undefined", "true", "false"})

# dict methods the sandbox reads as data: a missing `items` key is undefined, not `dict.items`
_DATA_NAMES = frozenset({"items", "keys", "values"})
_FIELDS: dict[type, frozenset[str]] = {
    datetime: frozenset({"year", "month", "day", "hour", "minute", "second", "microsecond"}),
    date: frozenset({"year", "month", "day"}),
}
_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lteq": operator.le,
    "gt": operator.gt,
    "gteq": operator.ge,
    "in": lambda left, right: left in right,
    "notin": lambda left, right: left not in right,
}


class Unanswerable(Exception):
    """The closure cannot say what the sandbox would: run the sandbox."""


class Missing:
    """What `Names.contact_field` gives for a name the contact's values lack."""

    __slots__ = ()


MISSING = Missing()


class Names(Protocol):
    """What a closure reads, each exactly as the sandbox's context holds it."""

    def contact_field(self, name: str) -> Any:
        """`contact`'s value under `name` (as Contact.as_values has it), else MISSING."""

    def variable(self, name: str) -> Any:
        """`event`, `entry`, `events` or `now`."""

    def has_event(self, name: Any, within: Any = None) -> Any: ...

    def event_count(self, name: Any, within: Any = None) -> Any: ...

    def days_since(self, value: Any) -> Any: ...


Closure = Callable[[Names], Any]


class _Outside(Exception):
    """The expression is not in the subset."""


def compile_closure(expr: nodes.Expr, environment: Environment) -> Closure | None:
    """A closure for `expr` (a parsed, not yet guarded expression), or None outside the subset."""
    try:
        return _Builder(environment).build(expr, 0)
    except _Outside:
        return None


class _Builder:
    def __init__(self, environment: Environment) -> None:
        self.tests = environment.tests
        self.undefined = environment.undefined()
        self.calls = 0

    def build(self, node: nodes.Node, depth: int) -> Closure:
        if depth > MAX_DEPTH:
            raise _Outside
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise _Outside
        closure: Closure = method(node, depth + 1)
        return closure

    # ------------------------------------------------------------- values

    def _Const(self, node: nodes.Const, depth: int) -> Closure:
        value = _literal(node)
        return lambda names: value

    def _List(self, node: nodes.List, depth: int) -> Closure:
        value = _literal(node)
        return lambda names: value

    def _Tuple(self, node: nodes.Tuple, depth: int) -> Closure:
        value = _literal(node)
        return lambda names: value

    def _Name(self, node: nodes.Name, depth: int) -> Closure:
        name = node.name
        if node.ctx != "load" or name not in VARIABLES:
            raise _Outside  # a bare `contact` would build its values: the sandbox does that
        return lambda names: names.variable(name)

    def _Getattr(self, node: nodes.Getattr, depth: int) -> Closure:
        if node.ctx != "load":
            raise _Outside
        return self._lookup(node.node, str(node.attr), depth, attribute=True)

    def _Getitem(self, node: nodes.Getitem, depth: int) -> Closure:
        if node.ctx != "load" or not isinstance(node.arg, nodes.Const):
            raise _Outside
        key = node.arg.value
        if not isinstance(key, str):
            raise _Outside
        return self._lookup(node.node, key, depth, attribute=False)

    def _lookup(self, base: nodes.Node, name: str, depth: int, *, attribute: bool) -> Closure:
        undefined = self.undefined
        # Missing from a dict: Undefined, unless the sandbox would find a dict method
        # (`contact.get`); as an attribute, `items`, `keys` and `values` are data names.
        absent_is_undefined = not hasattr(dict, name) or (attribute and name in _DATA_NAMES)
        if isinstance(base, nodes.Name) and base.name == "contact" and base.ctx == "load":

            def contact_field(names: Names) -> Any:
                value = names.contact_field(name)
                if value is MISSING:
                    if absent_is_undefined:
                        return undefined
                    raise Unanswerable
                return value

            return contact_field
        inner = self.build(base, depth)
        none_lacks_it = not hasattr(None, name)
        absent_property_is_undefined = not hasattr(EventProperties, name) or (
            attribute and name in _DATA_NAMES
        )

        def lookup(names: Names) -> Any:
            obj = inner(names)
            kind = type(obj)
            if kind is dict or kind is EventProperties:
                try:  # an event's declared but absent property is an AbsentProperty here
                    return obj[name]
                except KeyError:
                    if absent_is_undefined if kind is dict else absent_property_is_undefined:
                        return undefined
                    raise Unanswerable from None
            if obj is None and none_lacks_it:
                return undefined
            if attribute and name in _FIELDS.get(type(obj), ()):
                return getattr(obj, name)
            raise Unanswerable  # Undefined (an error), str methods, objects: the sandbox's rules

        return lookup

    # -------------------------------------------------------- operators

    def _Compare(self, node: nodes.Compare, depth: int) -> Closure:
        first = self.build(node.expr, depth)
        ops = [(_COMPARISONS[op.op], self.build(op.expr, depth)) for op in node.ops]
        if len(ops) == 1:
            compare, second = ops[0]
            try:
                constant = _literal(node.ops[0].expr)
            except _Outside:
                return lambda names: compare(first(names), second(names))
            return lambda names: compare(first(names), constant)

        def chain(names: Names) -> Any:  # `a < b < c` as Python: b once, stop at the first false
            left = first(names)
            result: Any = True
            for compare, right_of in ops:
                right = right_of(names)
                result = compare(left, right)
                if not result:
                    return result
                left = right
            return result

        return chain

    def _And(self, node: nodes.And, depth: int) -> Closure:
        left, right = self.build(node.left, depth), self.build(node.right, depth)
        return lambda names: left(names) and right(names)

    def _Or(self, node: nodes.Or, depth: int) -> Closure:
        left, right = self.build(node.left, depth), self.build(node.right, depth)
        return lambda names: left(names) or right(names)

    def _Not(self, node: nodes.Not, depth: int) -> Closure:
        inner = self.build(node.node, depth)
        return lambda names: not inner(names)

    def _Neg(self, node: nodes.Neg, depth: int) -> Closure:
        inner = self.build(node.node, depth)
        return lambda names: -inner(names)

    def _Pos(self, node: nodes.Pos, depth: int) -> Closure:
        inner = self.build(node.node, depth)
        return lambda names: +inner(names)

    def _CondExpr(self, node: nodes.CondExpr, depth: int) -> Closure:
        if node.expr2 is None:
            raise _Outside  # `a if b` is a hinted Undefined when b is false
        test = self.build(node.test, depth)
        then, otherwise = self.build(node.expr1, depth), self.build(node.expr2, depth)
        return lambda names: then(names) if test(names) else otherwise(names)

    def _Test(self, node: nodes.Test, depth: int) -> Closure:
        if node.name not in TESTS or node.args or node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise _Outside
        # the sandbox's own test function, called as its compiled template calls it
        test = cast(Callable[[Any], Any], self.tests[node.name])
        inner = self.build(node.node, depth)
        return lambda names: test(inner(names))

    def _Call(self, node: nodes.Call, depth: int) -> Closure:
        callee = node.node
        if (
            not isinstance(callee, nodes.Name)
            or callee.name not in FUNCTIONS
            or node.dyn_args is not None
            or node.dyn_kwargs is not None
        ):
            raise _Outside
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise _Outside
        function = operator.attrgetter(callee.name)
        args = [self.build(arg, depth) for arg in node.args]
        kwargs = [(keyword.key, self.build(keyword.value, depth)) for keyword in node.kwargs]

        def call(names: Names) -> Any:
            bound = function(names)
            result = bound(
                *[arg(names) for arg in args], **{key: value(names) for key, value in kwargs}
            )
            return _checked_result(result)

        return call


def _checked_result(result: Any) -> Any:
    """A call's result as the sandbox's `budget.check_value` lets it through."""
    if result is None or type(result) is bool:
        return result
    if type(result) is int and result.bit_length() <= INT_BITS:
        return result
    raise Unanswerable


def _literal(node: nodes.Node) -> Any:
    """The value of a literal the sandbox builds as Python would (else _Outside)."""
    if isinstance(node, nodes.Const):
        value = node.value
        if value is None or type(value) in (str, int, bool):
            return value
        if type(value) is float and math.isfinite(value):
            return value  # Jinja writes a float as str(value): `inf` would not compile the same
        raise _Outside
    if isinstance(node, (nodes.Neg, nodes.Pos)) and isinstance(node.node, nodes.Const):
        number = node.node.value
        if type(number) not in (int, float, bool) or not math.isfinite(number):
            raise _Outside
        return -number if isinstance(node, nodes.Neg) else +number
    if isinstance(node, nodes.List):
        return [_literal(item) for item in node.items]
    if isinstance(node, nodes.Tuple) and node.ctx == "load":
        return tuple(_literal(item) for item in node.items)
    raise _Outside

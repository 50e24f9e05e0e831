"""The sandboxed expression language shared by audience, where, if, exit_when and expr.

Expressions are Jinja2 expressions compiled once in the same budgeted sandbox
as templates (journey.renderer.sandbox): marketers' files are untrusted, so
attribute walks to ``__class__`` and mutation of the context fail, and every
evaluation runs under its own run-time budget (journey.budget: value sizes,
work, one second), so `('%0300000000d' % 1) | length > 0` or `'x' * 10**9`
fails that one evaluation instead of running. Validation uses
:func:`referenced_names` to catch unknown names before a contact ever reaches
the expression.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Template, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.parser import Parser

from journey import budget
from journey.errors import BudgetExceeded, ExpressionError
from journey.event_properties import AbsentProperty
from journey.expression_closures import Closure, compile_closure
from journey.renderer.sandbox import BudgetedSandbox

MAX_EXPRESSION_LENGTH = 4000

NAMES: frozenset[str] = frozenset({"contact", "event", "entry", "events", "now"})
FUNCTIONS: frozenset[str] = frozenset({"has_event", "event_count", "days_since"})


class ExpressionSyntaxError(ValueError):
    """An expression that does not parse; `message` is a sentence for the marketer."""

    def __init__(self, message: str, *, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


_ENV = BudgetedSandbox()


_GLOBALS: dict[str, Any] = dict(_ENV.globals)


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    """An expression compiled to a one-statement template: `result = <expression>`.

    Evaluation builds the template's context directly from a plain dict instead of
    going through `TemplateExpression.__call__`, whose `new_context` copies the
    environment's globals out of a ChainMap on every call: a segment re-check
    evaluates one expression for every contact every hour, and that copy was
    half of the cost.
    """

    source: str
    _template: Template
    # The same expression as a closure when it is in journey.expression_closures' subset
    # (lookups, literals, comparisons, and/or/not): the engine's `holds` runs it first
    # and falls back to the template when it raises.
    closure: Closure | None = None

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        """Evaluate against ``context``; any failure becomes :class:`ExpressionError`."""
        template = self._template
        try:
            with budget.running():
                frame = _ENV.context_class(_ENV, {**_GLOBALS, **context}, template.name, {})
                for _ in template.root_render_func(frame):
                    pass
                result = frame.vars["result"]
                return None if isinstance(result, AbsentProperty) else result
        except BudgetExceeded as exc:
            raise ExpressionError(f"`{self.source}`: {exc}") from exc
        except MemoryError as exc:
            raise ExpressionError(f"`{self.source}`: over budget: out of memory") from exc
        except (SecurityError, UndefinedError) as exc:
            raise ExpressionError(f"`{self.source}`: {exc}") from exc
        except (TypeError, ValueError, ArithmeticError, AttributeError, KeyError) as exc:
            raise ExpressionError(f"`{self.source}`: {type(exc).__name__}: {exc}") from exc
        except RecursionError as exc:
            raise ExpressionError(f"`{self.source}`: too deeply nested") from exc


def _parse(source: str) -> nodes.Expr:
    if not isinstance(source, str) or not source.strip():
        raise ExpressionSyntaxError("the expression is empty")
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionSyntaxError(
            f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters"
        )
    try:
        parser = Parser(_ENV, source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            token = parser.stream.current
            raise ExpressionSyntaxError(
                f"unexpected `{token.value}` after the end of the expression"
            )
    except TemplateSyntaxError as exc:
        raise ExpressionSyntaxError(_plain_syntax_message(exc.message or str(exc))) from exc
    except RecursionError as exc:
        raise ExpressionSyntaxError("the expression is nested too deeply") from exc
    for const in expr.find_all(nodes.Const):
        if isinstance(const.value, float) and not math.isfinite(const.value):
            raise ExpressionSyntaxError(
                "a number in the expression is too large to be a number (over 1.8e308)"
            )
    return expr


def syntax_tree(source: str) -> nodes.Expr:
    """The parsed expression, for static checks; raises ExpressionSyntaxError."""
    return _parse(source)


def _plain_syntax_message(message: str) -> str:
    if "end of template" in message:
        return "the expression ends too early (a missing operand or closing bracket?)"
    return message


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CompiledExpression:
    """Compile once; the cache makes repeated evaluation per contact cheap."""
    expr = _parse(source)
    closure = compile_closure(expr, _ENV)  # before _compile weaves the budget's guards in
    compiled = _compile(expr, source)
    if closure is None:
        return compiled
    return CompiledExpression(source, compiled._template, closure=closure)


def compile_node(expr: nodes.Expr) -> CompiledExpression:
    """A part of a parsed expression compiled on its own (to evaluate an argument), with its
    closure when it is in the closures' subset."""
    part = copy.deepcopy(expr)  # compiling weaves guards into the tree it is given
    closure = compile_closure(part, _ENV)  # before _compile weaves the budget's guards in
    compiled = _compile(part, f"<part of an expression at line {expr.lineno}>")
    if closure is None:
        return compiled
    return CompiledExpression(compiled.source, compiled._template, closure=closure)


def _compile(expr: nodes.Expr, source: str) -> CompiledExpression:
    body = nodes.Template([nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)], lineno=1)
    try:
        template = _ENV.from_string(_ENV.guard_tree(body))
    except TemplateSyntaxError as exc:
        raise ExpressionSyntaxError(_plain_syntax_message(exc.message or str(exc))) from exc
    return CompiledExpression(source, template)


def referenced_names(source: str) -> set[str]:
    """Names an expression reads, dotted as far as they are static.

    ``contact.first_name == 'A' and has_event('x')`` -> ``{"contact.first_name",
    "has_event"}``. Raises ExpressionSyntaxError.
    """
    found: set[str] = set()
    _collect(_parse(source), found)
    return found


def _collect(node: nodes.Node, found: set[str]) -> None:
    dotted = _dotted(node)
    if dotted is not None:
        found.add(dotted)
        return
    for child in node.iter_child_nodes():
        _collect(child, found)


def _dotted(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _dotted(node.node)
        return f"{base}.{node.attr}" if base is not None else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = _dotted(node.node)
        if base is not None and isinstance(node.arg.value, str):
            return f"{base}.{node.arg.value}"
    return None


def called_functions(source: str) -> list[tuple[str, list[Any]]]:
    """`has_event('x', within='7d')` calls with their constant arguments, for checks."""
    calls: list[tuple[str, list[Any]]] = []
    root = _parse(source)
    found = root.find_all(nodes.Call)  # descendants only: the root itself is added below
    for call in [root, *found] if isinstance(root, nodes.Call) else found:
        if isinstance(call.node, nodes.Name):
            args = [a.value if isinstance(a, nodes.Const) else None for a in call.args]
            args += [
                kw.value.value if isinstance(kw.value, nodes.Const) else None for kw in call.kwargs
            ]
            calls.append((call.node.name, args))
    return calls

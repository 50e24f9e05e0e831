"""Bombs visible without running anything: literal values the run-time budget would refuse.

`'%0300000000d' % 1`, `'x' * 1000000000`, `'x'|center(10**9)`, `range(10**9)`:
when the growing operation's arguments are literals, validation reports the
problem at its place. Nothing is evaluated but integer literals combined
through the budget's own guarded `*` and `**` (refused before they are
computed); everything else is left to the run-time budget, the real guarantee.
"""

from __future__ import annotations

from typing import Any

from jinja2 import nodes

from journey import budget
from journey.errors import BudgetExceeded
from journey.renderer import guards, sandbox

_UNKNOWN = object()
_WIDTH_FILTERS = frozenset({"center", "indent"})
_COUNT_FILTERS = frozenset({"batch", "slice"})


def budget_problems(tree: nodes.Node) -> list[tuple[int, str]]:
    """(line, reason) of each operation in `tree` whose literal arguments are over budget."""
    found: list[tuple[int, str]] = []
    for node in [tree, *tree.find_all((nodes.BinExpr, nodes.Filter, nodes.Call))]:
        try:
            _check(node)
        except BudgetExceeded as exc:
            if all(str(exc) != reason for _, reason in found):
                found.append((node.lineno, str(exc)))
        except (ArithmeticError, ValueError, TypeError):
            pass  # `0 ** -1` and the like fail at run time with their own error
    return found


def _literal(node: Any) -> Any:
    """The value of a literal (integers through guarded `*`/`**`), else _UNKNOWN."""
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.Neg):
        value = _literal(node.node)
        return -value if isinstance(value, int) else _UNKNOWN
    if isinstance(node, (nodes.Mul, nodes.Pow)):
        left, right = _literal(node.left), _literal(node.right)
        if isinstance(left, int) and isinstance(right, int):
            guard = guards.guarded_mul if isinstance(node, nodes.Mul) else guards.guarded_pow
            return guard(left, right)
    return _UNKNOWN


def _check(node: nodes.Node) -> None:
    if isinstance(node, nodes.Mod):
        template = _literal(node.left)
        if isinstance(template, str):
            guards.check_printf(template, ())
    elif isinstance(node, (nodes.Mul, nodes.Pow)):
        left, right = _literal(node.left), _literal(node.right)
        if isinstance(node, nodes.Pow) or (isinstance(left, int) and isinstance(right, int)):
            _literal(node)
        elif isinstance(left, str) and isinstance(right, int):
            guards.check_repeat(left, right)
        elif isinstance(right, str) and isinstance(left, int):
            guards.check_repeat(right, left)
    elif isinstance(node, nodes.Filter):
        _check_filter(node)
    elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
        bounds = [_literal(arg) for arg in node.args]
        if node.node.name == "range" and bounds and all(isinstance(b, int) for b in bounds):
            sandbox.budget_range(*bounds)


def _check_filter(node: nodes.Filter) -> None:
    first = _literal(node.args[0]) if node.args else _UNKNOWN
    if node.name == "format":
        template = _literal(node.node)
        if isinstance(template, str):
            guards.check_printf(template, ())
    elif node.name in _WIDTH_FILTERS:
        budget.check_width(first, f"a {node.name}() width")
    elif node.name in _COUNT_FILTERS and isinstance(first, int):
        budget.check_items(budget.Size(items=first), f"a {node.name}")
    elif node.name == "tojson":
        indent = next((_literal(kw.value) for kw in node.kwargs if kw.key == "indent"), first)
        budget.check_width(indent, "a tojson() indent")

"""The sandboxed Jinja environment class: attribute rules, size guards and a
work budget for templates that marketers (and contact data) control.

On top of Jinja's immutable sandbox: `str.format`/`format_map` are blocked
outright, `* ** % +` and growing string methods are size-checked, every loop
iteration and call is charged against a per-render budget, `recursive` loops
are refused, and templates are never constant-folded at compile time (so
validation never evaluates template code).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.runtime import Context, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_context, pass_eval_context
from jinja2.visitor import NodeTransformer

from journey.renderer import guards, state
from journey.renderer.contact import ContactView

LOOP_GUARD = "journey_loop_guard"
CONCAT_GUARD = "journey_concat_guard"
_BLOCKED_STR_ATTRIBUTES = frozenset({"format", "format_map", "translate", "maketrans"})
_BLOCKED_INT_ATTRIBUTES = frozenset({"to_bytes"})


@pass_context  # never evaluated at compile time
def loop_guard(_context: Any, iterable: Iterable[Any]) -> Iterator[Any]:
    """Wraps every `{% for %}` iterable: each iteration costs one unit of budget."""
    current = state.current()
    for item in iterable:
        current.charge()
        yield item


@pass_eval_context
def concat_guard(eval_ctx: Any, parts: list[Any]) -> str:
    """`a ~ b` with the same escaping as Jinja's own, plus the size limit."""
    joined = markup_join(parts) if eval_ctx.autoescape else str_join(parts)
    return guards.check_size(joined)  # type: ignore[no-any-return]


class _GuardTransformer(NodeTransformer):
    """Rewrites a parsed template: loops charge the budget, `~` checks sizes."""

    def __init__(self, name: str | None, filename: str | None) -> None:
        self.name = name
        self.filename = filename

    def visit_For(self, node: nodes.For) -> nodes.Node:
        if node.recursive:
            raise TemplateSyntaxError(
                "recursive loops are not allowed in message templates",
                node.lineno,
                self.name,
                self.filename,
            )
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, LOOP_GUARD, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.List(list(node.nodes), lineno=node.lineno)
        return nodes.Filter(parts, CONCAT_GUARD, [], [], None, None, lineno=node.lineno)


class JourneySandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with size limits and a work budget."""

    intercepted_binops = frozenset(guards.BINOPS)
    _trusted: dict[int, Any] = {}  # noqa: RUF012 - replaced per instance by trust_callables

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return guards.BINOPS[operator](left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`entry.properties.total`: a mapping's own keys first, without the failed
        attribute lookup (an exception per access) that Jinja's generic path costs.
        Keys are data, so no safety check is needed; everything else goes through
        the sandbox's checks."""
        kind = type(obj)
        if kind is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        elif kind is ContactView:
            try:
                return obj._values[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        return None  # format/format_map are refused by is_safe_attribute instead

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in _BLOCKED_STR_ATTRIBUTES:
            return False
        if isinstance(obj, int) and attr in _BLOCKED_INT_ATTRIBUTES:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def trust_callables(self, *functions: Any) -> None:
        """Our own globals (the gettext family) skip the per-call safety checks.

        They must take the template context first and need nothing of it but
        its eval context, so they are called directly: no `Context.call`
        dispatch, no derived context for `_block_vars`/`_loop_vars` (a derived
        context shares the eval context anyway)."""
        self._trusted = {id(f): f for f in functions}

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        state.current().charge(state.CALL_COST)
        trusted = __self._trusted.get(id(__obj))
        if trusted is not None and trusted is __obj:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            return trusted(__context, *args, **kwargs)
        if isinstance(__obj, (types.BuiltinMethodType, types.MethodType)):
            owner = getattr(__obj, "__self__", None)
            if isinstance(owner, str):
                args = guards.prepare_str_call(owner, __obj.__name__, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        return guards.check_size(result)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        guarded: nodes.Template = _GuardTransformer(name, filename).visit(tree)
        return guarded

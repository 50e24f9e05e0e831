"""The sandboxed Jinja environments: attribute rules and the run-time budget for
templates and expressions that marketers (and contact data) control.

`BudgetedSandbox` is Jinja's immutable sandbox where everything that can grow a
value consults the active budget (journey.budget): `* ** % +`, `~`, growing
string methods, every filter, list/tuple/dict literals and the buffers of
blocks and macros; every loop iteration and call is charged as work.
`str.format`/`format_map` are blocked, `recursive` loops and `lipsum` refused,
and nothing is constant-folded at compile time (validation never runs
template code). The expression evaluator uses it as is; `JourneySandbox` adds
what message templates need (gettext callables, fast contact lookups).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any

from jinja2 import Template, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.runtime import Context, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_context, pass_eval_context
from jinja2.visitor import NodeTransformer

from journey import budget
from journey.event_properties import EventProperties
from journey.renderer import guards, safe_filters, translate
from journey.renderer.compiled import MessageCodeGenerator, MessageTemplate
from journey.renderer.contact import ContactView

LOOP_GUARD = "journey_loop_guard"
CONCAT_GUARD = "journey_concat_guard"
VALUE_GUARD = "journey_value_guard"
_BLOCKED_STR_ATTRIBUTES = frozenset({"format", "format_map", "translate", "maketrans"})
_BLOCKED_INT_ATTRIBUTES = frozenset({"to_bytes"})
_LOADED_LIMIT = 2_000  # templates kept by name (JourneySandbox._load_template)


@pass_context  # never evaluated at compile time
def loop_guard(_context: Any, iterable: Iterable[Any]) -> Iterator[Any]:
    """Wraps every `{% for %}` iterable: each iteration costs one unit of work."""
    current = budget.current()
    for item in iterable:
        current.charge()
        yield item


@pass_eval_context
def concat_guard(eval_ctx: Any, parts: list[Any]) -> str:
    """`a ~ b` with the same escaping as Jinja's own, its length checked first."""
    limits = budget.current().limits
    budget.check_chars(sum(budget.printed_size(part, limits) for part in parts), "~ gives a string")
    return markup_join(parts) if eval_ctx.autoescape else str_join(parts)


@pass_context
def value_guard(_context: Any, value: Any) -> Any:
    """A list, tuple or dict literal: `[a, a, a]` of big values is checked like `[a] * 3`."""
    return budget.check_value(value)


def budget_range(*args: int) -> range:
    """`range()` with its length checked against the item limit (not Jinja's own
    OverflowError), so `range(10**9)` is an over-budget failure like any other."""
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:  # longer than sys.maxsize
        count = sys.maxsize
    budget.check_items(budget.Size(items=count), "a range")
    return numbers


class _GuardTransformer(NodeTransformer):
    """Rewrites a parsed tree: loops charge work, `~` and literals check sizes."""

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
        node.iter = _filter(node.iter, LOOP_GUARD)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _filter(nodes.List(list(node.nodes), lineno=node.lineno), CONCAT_GUARD)

    def _literal(self, node: nodes.List | nodes.Tuple | nodes.Dict) -> nodes.Node:
        self.generic_visit(node)
        if isinstance(node, nodes.Tuple) and node.ctx != "load":
            return node
        return _filter(node, VALUE_GUARD)

    visit_List = visit_Tuple = visit_Dict = _literal


def _filter(node: nodes.Node, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


def _join_buffer(parts: Iterable[str]) -> str:
    """A block's, macro's or `{% set %}`'s output, its length checked before joining."""
    items = parts if isinstance(parts, list) else []
    if not isinstance(parts, list):  # a stream (Template.render): checked as it grows
        total = 0
        for part in parts:
            total += len(part)
            budget.check_chars(total, "the output")
            items.append(part)
    budget.check_chars(sum(map(len, items)), "a block of output")
    return "".join(items)


# dict methods a marketer means as data: `entry.properties.items` is the cart's items
_DATA_NAMES = frozenset({"items", "keys", "values"})


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox under the run-time budget."""

    intercepted_binops = frozenset(guards.BINOPS)
    concat = staticmethod(_join_buffer)

    def __init__(self, **options: Any) -> None:
        options.setdefault("optimized", False)
        super().__init__(**options)
        self.globals.pop("lipsum", None)  # lipsum(10**6) is a CPU bomb and nothing needs it
        self.globals["range"] = budget_range
        self.add_filters({**self.filters, **safe_filters.SAFE_FILTERS})
        self.filters[LOOP_GUARD] = loop_guard
        self.filters[CONCAT_GUARD] = concat_guard
        self.filters[VALUE_GUARD] = value_guard

    def add_filters(self, found: dict[str, Callable[..., Any]]) -> None:
        """Install filters, each under the budget."""
        self.filters.update({name: safe_filters.budgeted(func) for name, func in found.items()})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return guards.BINOPS[operator](left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        return None  # format/format_map are refused by is_safe_attribute instead

    def getattr(self, obj: Any, attribute: str) -> Any:
        """A dict's own key before its methods: `entry.properties.items` is the event's
        `items` property, as a marketer means it, not `dict.items` (Jinja's default
        order). Without that key, `items`, `keys` and `values` are undefined too,
        so a missing property reads as missing instead of as a method that fails
        later ("'builtin_function_or_method' object is not iterable"); the other
        methods (`x.get('k', 0)`) stay."""
        if type(obj) is dict or type(obj) is EventProperties:
            try:
                return obj[attribute]
            except KeyError:
                if attribute in _DATA_NAMES:
                    return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in _BLOCKED_STR_ATTRIBUTES:
            return False
        if isinstance(obj, int) and attr in _BLOCKED_INT_ATTRIBUTES:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget.current().charge(budget.CALL_COST)
        if isinstance(__obj, (types.BuiltinMethodType, types.MethodType)):
            owner = getattr(__obj, "__self__", None)
            if isinstance(owner, str):
                args = guards.prepare_str_call(owner, __obj.__name__, args, kwargs)
        return budget.check_value(super().call(__context, __obj, *args, **kwargs))

    def guard_tree(
        self, tree: nodes.Template, name: str | None = None, filename: str | None = None
    ) -> nodes.Template:
        """`tree` with the budget's checks woven in (parsed templates get them anyway)."""
        guarded: nodes.Template = _GuardTransformer(name, filename).visit(tree)
        return guarded

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return self.guard_tree(super()._parse(source, name, filename), name, filename)


class JourneySandbox(BudgetedSandbox):
    """The message templates' sandbox: the budget plus trusted gettext callables."""

    template_class = MessageTemplate
    code_generator_class = MessageCodeGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._loaded: dict[str, Template] = {}  # by name, without auto-reload only

    def _load_template(self, name: str, globals: MutableMapping[str, Any] | None) -> Template:
        """Jinja's cache lookup takes a lock and builds a weak reference, for every
        `{% extends %}` of every part: without auto-reload (a Renderer, which
        calls `forget_templates` instead) a loaded template is kept in a plain dict too."""
        if globals or self.auto_reload or self.cache is None:
            return super()._load_template(name, globals)
        loaded = self._loaded.get(name)
        if loaded is None:
            loaded = super()._load_template(name, globals)
            if len(self._loaded) >= _LOADED_LIMIT:
                self._loaded.clear()
            self._loaded[name] = loaded
        return loaded

    def forget_templates(self) -> None:
        """Drop every loaded template (after templates changed on disk)."""
        self._loaded.clear()
        if self.cache is not None:
            self.cache.clear()

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`entry.properties.total`: a mapping's own keys first, without the failed
        attribute lookup (an exception per access) that Jinja's generic path costs.
        Keys are data, so no safety check is needed; everything else goes through
        the sandbox's checks."""
        if type(obj) is ContactView:
            try:
                return obj._values[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def trust_callables(self, *functions: Any, scoped: Iterable[Any] = ()) -> None:
        """Our own globals (the gettext family) skip the per-call safety checks.

        They must take the template context first and need nothing of it but
        its eval context, so they are called directly: no `Context.call`
        dispatch, no derived context for `_block_vars`/`_loop_vars` (a derived
        context shares the eval context anyway). Those in `scoped` read
        variables too and get the derived context, as `Context.call` makes it.
        They check their own results."""
        trusted = {id(f): (f, False) for f in functions}
        trusted.update({id(f): (f, True) for f in scoped})
        self._trusted = trusted

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        trusted = __self._trusted.get(id(__obj))
        if trusted is not None and trusted[0] is __obj:
            budget.current().charge(budget.CALL_COST)
            block_vars = kwargs.pop("_block_vars", None)
            loop_vars = kwargs.pop("_loop_vars", None)
            if trusted[1]:
                if loop_vars:
                    __context = __context.derived(loop_vars)
                if block_vars:
                    __context = __context.derived(block_vars)
            return __obj(__context, *args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def call_copy(
        __self,
        __context: Context,
        __obj: Any,
        __message: str,
        __loop_vars: dict[str, Any] | None,
        __block_vars: dict[str, Any] | None,
        /,
        **variables: Any,
    ) -> Any:
        """What MessageCodeGenerator writes for `gettext('…', …)` and `_('…', …)`.
        When the name means our gettext there, it prints directly (charged as a
        call, like `call`); anything else goes through `call` as Jinja's code would."""
        if __obj is translate.gettext or (
            __obj is translate.gettext_alias
            and _names_our_gettext(__context, __loop_vars, __block_vars)
        ):
            budget.current().charge(budget.CALL_COST)
            return translate.print_message(__context, __message, variables)
        if __loop_vars is not None:
            variables["_loop_vars"] = __loop_vars
        if __block_vars is not None:
            variables["_block_vars"] = __block_vars
        return __self.call(__context, __obj, __message, **variables)


def _names_our_gettext(
    context: Context, loop_vars: dict[str, Any] | None, block_vars: dict[str, Any] | None
) -> bool:
    """Whether `gettext` is ours where `_` is called: `_` resolves it in the context
    derived from the loop's and block's variables (a `{% set gettext %}` there is
    left to the general path)."""
    for scope in (loop_vars, block_vars):
        if scope and "gettext" in scope:
            return False
    return context.resolve_or_missing("gettext") is translate.gettext

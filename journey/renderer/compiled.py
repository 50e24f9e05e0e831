"""The compiled form of message templates: Jinja's, with cheaper copy and escaping.

Jinja's generated code prints every expression of an HTML part through
markupsafe's `escape`, and for a value that is Markup already (every
`{% trans %}`, every `_()`) that costs three Python calls to make an equal copy.
And every `{% trans %}` is a sandboxed call with its arguments packed and
unpacked twice over; the code generator here calls the gettext family's own
entry point instead (JourneySandbox.call_copy), with the same checks.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from keyword import iskeyword
from typing import Any

from jinja2 import Environment, Template, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from markupsafe import Markup, escape

COPY_FUNCTIONS = frozenset({"gettext", "_"})


def escape_output(value: Any) -> Markup:
    """`markupsafe.escape`, returning a Markup (not a subclass) as it is: escaping
    it would give `Markup(value.__html__())`, the same text."""
    if type(value) is Markup:
        return value
    return escape(value)


class MessageTemplate(Template):
    """A template whose module prints through `escape_output`."""

    @classmethod
    def _from_namespace(
        cls,
        environment: Environment,
        namespace: MutableMapping[str, Any],
        globals: MutableMapping[str, Any],
    ) -> Template:
        # The module imported `escape` from jinja2.runtime when it ran; its render
        # functions read module globals at call time, so this takes effect.
        namespace["escape"] = escape_output
        return super()._from_namespace(environment, namespace, globals)


def _is_copy_call(node: nodes.Call) -> bool:
    """`gettext('…', name=…)` or `_('…')`: one literal message, plain keywords."""
    return (
        isinstance(node.node, nodes.Name)
        and node.node.name in COPY_FUNCTIONS
        and len(node.args) == 1
        and isinstance(node.args[0], nodes.Const)
        and type(node.args[0].value) is str
        and node.dyn_args is None
        and node.dyn_kwargs is None
        and not any(iskeyword(keyword.key) for keyword in node.kwargs)
    )


class MessageCodeGenerator(CodeGenerator):
    """Jinja's code generator, with each `{% trans %}` and `_('…')` calling
    `environment.call_copy` (JourneySandbox): the same call as
    `environment.call` without the packing and unpacking of its arguments."""

    @optimizeconst
    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        if forward_caller or self.environment.is_async or not _is_copy_call(node):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        self.write("environment.call_copy(context, ")
        self.visit(node.node, frame)
        self.write(", ")
        self.visit(node.args[0], frame)
        self.write(", _loop_vars" if frame.loop_frame else ", None")
        self.write(", _block_vars" if frame.block_frame else ", None")
        for keyword in node.kwargs:
            self.write(", ")
            self.visit(keyword, frame)
        self.write(")")

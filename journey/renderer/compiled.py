"""The compiled form of message templates: Jinja's Template with a cheaper `escape`.

Jinja's generated code prints every expression of an HTML part through
markupsafe's `escape`, and for a value that is Markup already (every
`{% trans %}`, every `_()`) that costs three Python calls to make an equal copy.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from jinja2 import Environment, Template
from markupsafe import Markup, escape


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

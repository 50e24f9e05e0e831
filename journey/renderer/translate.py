"""The gettext family as templates call it: the active render's catalog, then
`%`-formatting with the `{% trans %}` variables, escaped in HTML parts.

Jinja's own "newstyle" wrappers do the same but reach the catalog through a
second `Context.call`, and every `{% trans %}` in every part of every message
paid for it. These read the render state directly. Semantics are Jinja's: the
message is always treated as a format string (so `%%` reads `%`), `num` and
`context` default to the count and the message context, and in an autoescaped
part the translation is Markup so the variables are escaped, not the copy.

All four take the template context first; the sandbox calls them directly
(see `JourneySandbox.trust_callables`), without the per-call safety checks.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from journey import budget
from journey.renderer import guards, state


def _fill(context: Context, text: str, variables: dict[str, Any]) -> str:
    """`text % variables`, under the budget like any `%` of a template."""
    if variables:
        guards.check_printf(text, variables)
    if context.eval_ctx.autoescape:
        return budget.check_value(Markup(text) % variables)  # type: ignore[no-any-return]
    return budget.check_value(text % variables)  # type: ignore[no-any-return]


@pass_context
def gettext(context: Context, message: str, /, **variables: Any) -> str:
    return _fill(context, state.current().translations.gettext(message), variables)


@pass_context
def ngettext(context: Context, singular: str, plural: str, num: int, /, **variables: Any) -> str:
    variables.setdefault("num", num)
    text = state.current().translations.ngettext(singular, plural, num)
    return _fill(context, text, variables)


@pass_context
def pgettext(context: Context, message_context: str, message: str, /, **variables: Any) -> str:
    variables.setdefault("context", message_context)
    text = state.current().translations.pgettext(message_context, message)
    return _fill(context, text, variables)


@pass_context
def npgettext(
    context: Context,
    message_context: str,
    singular: str,
    plural: str,
    num: int,
    /,
    **variables: Any,
) -> str:
    variables.setdefault("context", message_context)
    variables.setdefault("num", num)
    text = state.current().translations.npgettext(message_context, singular, plural, num)
    return _fill(context, text, variables)


CALLABLES = {"gettext": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}

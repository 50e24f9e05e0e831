"""The gettext family as templates call it: the active render's catalog, then
`%`-formatting with the `{% trans %}` variables, escaped in HTML parts.

Jinja's own "newstyle" wrappers do the same but reach the catalog through a
second `Context.call`, and every `{% trans %}` in every part of every message
paid for it. These read the render state directly. Semantics are Jinja's: the
message is always treated as a format string (so `%%` reads `%`), `num` and
`context` default to the count and the message context, and in an autoescaped
part the translation is Markup so the variables are escaped, not the copy.

A `gettext` without variables (or with plain strings only: a brand, a name)
prints the same for every contact of a copy locale, so its result is kept in
the render state's `printed` (one dict per copy locale, shared across renders
by the Renderer) instead of being looked up, wrapped, checked and %-formatted
again in every part of every message.

All of them take the template context first; the sandbox calls them directly
(see `JourneySandbox.trust_callables`), without the per-call safety checks.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from journey import budget
from journey.renderer import guards, state
from journey.renderer.state import PrintedKey


def _fill(context: Context, text: str, variables: dict[str, Any]) -> str:
    """`text % variables`, under the budget like any `%` of a template."""
    if variables:
        guards.check_printf(text, variables)
    if context.eval_ctx.autoescape:
        return budget.check_value(_escaped_fill(text, variables))  # type: ignore[no-any-return]
    return budget.check_value(text % variables)  # type: ignore[no-any-return]


def _escaped_fill(text: str, variables: dict[str, Any]) -> Markup:
    """`Markup(text) % variables`. When `text` only has `%(key)s` specs, that is
    the text filled with the escaped values, without Markup's per-value wrappers."""
    names = guards.named_fields(text) if type(text) is str else None
    if names is None:
        return Markup(text) % variables
    return Markup(text % {name: escape(variables[name]) for name in names})


# Kept results per copy locale: template messages are few, but `_(name)` can
# translate contact data, so the dict starts over when it is this full.
PRINTED_LIMIT = 4_096
_KEPT_VALUE = 1_000  # longer variables are not kept in a key (nor what they print)


@pass_context
def gettext(context: Context, message: str, /, **variables: Any) -> str:
    return print_message(context, message, variables)


def print_message(context: Context, message: str, variables: dict[str, Any]) -> str:
    """`gettext(message, **variables)`, kept in the render state's `printed` when
    what it prints depends on the message, catalog and autoescape alone."""
    current = state.current()
    if variables or type(message) is not str:
        key = _printed_key(message, context.eval_ctx.autoescape, variables)
        if key is None:
            return _fill(context, current.translations.gettext(message), variables)
    else:
        key = (message, context.eval_ctx.autoescape)
    printed = current.printed.get(key)
    if printed is None:
        printed = _fill(context, current.translations.gettext(message), variables)
        # Only values the budget's size check lets by without a look at the clock
        # are kept, so a kept one skips nothing but work (renders run under the
        # default limits: journey.renderer.render).
        if len(printed) <= budget.BIG:
            if len(current.printed) >= PRINTED_LIMIT:
                current.printed.clear()
            current.printed[key] = printed
    return printed


def _printed_key(message: str, autoescape: bool, variables: dict[str, Any]) -> PrintedKey | None:
    """What a `gettext` prints depends on this alone (given the catalog) when the
    message and every variable is a plain string (`brand="Fika & Co."`, a name)."""
    if type(message) is not str:
        return None
    if not variables:
        return (message, autoescape)
    for value in variables.values():
        if type(value) is not str or len(value) > _KEPT_VALUE:
            return None
    return (message, autoescape, *variables.items())


@pass_context
def gettext_alias(context: Context, /, *args: Any, **kwargs: Any) -> Any:
    """`_()`: whatever `gettext` names where it is called, as in Jinja's i18n
    extension (its alias goes through a second `Context.call`); ours directly."""
    found = context.resolve("gettext")
    if found is gettext:
        return gettext(context, *args, **kwargs)
    return budget.check_value(context.call(found, *args, **kwargs))


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
# `_` needs the variables of its block or loop (to find `gettext`); the others do not.
SCOPED_CALLABLES = {"_": gettext_alias}

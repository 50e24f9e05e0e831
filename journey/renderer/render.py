"""The render stage: (template, contact, journey context, time) -> message parts.

One Renderer per workspace builds the sandbox once; compiled templates,
loaded catalogs, what a contact locale settles for a journey's locales and the
copy each catalog printed (journey.renderer.translate) are cached, and each
message only sets its contact's locale, zone and clock in the render state.
Every render runs under the default budget limits, which that kept copy
relies on.
"""

from __future__ import annotations

import gettext
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from jinja2 import Template, TemplateNotFound

from journey import budget
from journey.errors import RenderError
from journey.model import Contact
from journey.renderer import state
from journey.renderer.catalogs import CatalogError, CatalogStore
from journey.renderer.contact import contact_view
from journey.renderer.environment import TEMPLATE_CACHE_SIZE, build_environment
from journey.renderer.failures import describe_failure
from journey.renderer.locale import formatting_locale, locale_id, negotiate_locale

MessageKind = Literal["email", "sms", "push"]

# message kind -> (RenderedMessage field, file in the template folder, required)
PARTS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "email": (
        ("subject", "subject.txt", True),
        ("preheader", "preheader.txt", False),
        ("html", "body.html", True),
        ("text", "body.txt", True),
    ),
    "sms": (("text", "sms.txt", True),),
    "push": (("text", "push.txt", True), ("title", "push_title.txt", False)),
}
_ONE_LINE_FIELDS = frozenset({"subject", "preheader", "title"})
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedMessage:
    """The parts of one message; `locale` is the copy locale that was negotiated."""

    locale: str
    subject: str | None = None
    preheader: str | None = None
    text: str = ""
    html: str | None = None
    title: str | None = None
    format_locale: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class _LocaleSetup:
    """A contact locale's settings for one journey's locales (Renderer._locale_setup)."""

    copy_locale: str
    translations: gettext.NullTranslations
    locale: Locale
    locale_id: str
    printed: dict[state.PrintedKey, str]


_SETUPS_LIMIT = 4_096  # contact locales are data: the cache starts over when this full


@lru_cache(maxsize=512)
def _zone(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class Renderer:
    """Renders messages for one workspace; safe to share with one daemon thread."""

    def __init__(
        self,
        templates_dir: Path,
        locales_dir: Path,
        *,
        default_timezone: str = "UTC",
        declared_attributes: Iterable[str] = (),
    ) -> None:
        self.templates_dir = Path(templates_dir)
        self.catalogs = CatalogStore(Path(locales_dir))
        self.environment = build_environment(self.templates_dir, auto_reload=False)
        self.default_zone = _zone(default_timezone) or ZoneInfo("UTC")
        self.declared_attributes = tuple(declared_attributes)
        self._absent: set[str] = set()
        self._strings: dict[tuple[str, bool], Template] = {}
        self._templates: dict[str, Template] = {}
        self._setups: dict[tuple[str | None, tuple[str, ...]], _LocaleSetup] = {}
        self._printed: dict[str, tuple[gettext.NullTranslations, dict[state.PrintedKey, str]]] = {}
        self._untranslated = gettext.NullTranslations()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ public

    def render(
        self,
        *,
        template: str,
        message: MessageKind,
        contact: Contact,
        locales: Sequence[str],
        context: Mapping[str, Any],
        now: datetime,
        locale: str | None = None,
        timezone: str | None = None,
    ) -> RenderedMessage:
        """Render every part of `template` for `contact`; raises RenderError.

        `locale` overrides the contact's (preview); `timezone` is the journey's
        zone for contacts without one.
        """
        if message not in PARTS:
            raise RenderError(f"unknown message kind {message!r}")
        if now.tzinfo is None:
            raise RenderError("the render time must be timezone-aware")
        requested = locale if locale is not None else contact.locale
        setup = self._locale_setup(requested, locales)
        render_state = state.RenderState(
            translations=setup.translations,
            locale=setup.locale,
            tz=_zone(contact.timezone) or _zone(timezone) or self.default_zone,
            now=now,
            locale_id=setup.locale_id,
            printed=setup.printed,
        )
        copy_locale = setup.copy_locale
        variables = self._variables(context)
        variables.update(
            contact=contact_view(contact, self.declared_attributes), now=now, locale=copy_locale
        )
        parts: dict[str, str | None] = {}
        with state.active(render_state), budget.running() as message_budget:
            for field_name, filename, required in PARTS[message]:
                loaded = self._template(f"{template}/{filename}", required)
                if loaded is None:
                    parts[field_name] = None
                    continue
                message_budget.reset_operations()
                text = self._run(loaded, variables)
                parts[field_name] = _one_line(text) if field_name in _ONE_LINE_FIELDS else text
        return RenderedMessage(
            locale=copy_locale,
            subject=parts.get("subject"),
            preheader=parts.get("preheader"),
            text=parts.get("text") or "",
            html=parts.get("html"),
            title=parts.get("title"),
            format_locale=setup.locale_id,
        )

    def render_string(
        self, source: str, context: Mapping[str, Any], *, autoescape: bool = False
    ) -> str:
        """A one-off template (webhook body values) in the same sandbox, no catalog."""
        compiled = self._compile_string(source, autoescape)
        variables = self._variables(context)
        contact = variables.get("contact")
        if isinstance(contact, Contact):
            variables["contact"] = contact_view(contact, self.declared_attributes)
        now = variables.get("now")
        render_state = state.RenderState(
            tz=_zone(getattr(contact, "timezone", None)) or self.default_zone,
            now=now if isinstance(now, datetime) else None,
        )
        with state.active(render_state), budget.running():
            return self._run(compiled, variables)

    def reload(self) -> None:
        """Forget compiled templates, catalogs and missing parts: call it after
        templates/ or locales/ changed on disk (the daemon's hot reload does)."""
        self.catalogs.reload()
        self.environment.forget_templates()
        with self._lock:
            self._absent.clear()
            self._strings.clear()
            self._templates.clear()
            self._setups.clear()
            self._printed.clear()

    # ---------------------------------------------------------------- internals

    def _locale_setup(self, requested: str | None, locales: Sequence[str]) -> _LocaleSetup:
        """What a contact's locale settles for every message of a journey (copy
        locale, catalog, formatting locale), worked out once per pair until
        `reload()`; a failure is not kept, so it is raised for every message."""
        key = (requested, tuple(locales))
        setup = self._setups.get(key)
        if setup is None:
            copy_locale = negotiate_locale(requested, locales)
            try:
                fmt = formatting_locale(requested, copy_locale)
            except ValueError as exc:
                raise RenderError(f"cannot format for locale {copy_locale!r}: {exc}") from exc
            translations = self._translations(copy_locale, locales)
            setup = _LocaleSetup(
                copy_locale=copy_locale,
                translations=translations,
                locale=fmt,
                locale_id=locale_id(fmt),
                printed=self._printed_for(copy_locale, translations),
            )
            with self._lock:
                if len(self._setups) >= _SETUPS_LIMIT:
                    self._setups.clear()
                self._setups[key] = setup
        return setup

    def _printed_for(
        self, copy_locale: str, translations: gettext.NullTranslations
    ) -> dict[state.PrintedKey, str]:
        """The one dict of printed copy (journey.renderer.translate) for this
        catalog: every contact reading `copy_locale` shares it, no other locale does."""
        with self._lock:
            kept = self._printed.get(copy_locale)
            if kept is None or kept[0] is not translations:
                kept = (translations, {})
                self._printed[copy_locale] = kept
            return kept[1]

    def _translations(self, copy_locale: str, locales: Sequence[str]) -> gettext.NullTranslations:
        is_fallback = not locales or copy_locale == locales[0]
        if is_fallback and not self.catalogs.has(copy_locale):
            return self._untranslated
        try:
            return self.catalogs.get(copy_locale).translations
        except CatalogError as exc:
            raise RenderError(str(exc)) from exc

    def _template(self, name: str, required: bool) -> Template | None:
        """A loaded template, kept by name until `reload()`: Jinja's own cache
        lookup (a lock and a weakref key) is measurable at three parts a message."""
        loaded = self._templates.get(name)
        if loaded is not None:
            return loaded
        if not required and name in self._absent:
            return None
        try:
            loaded = self.environment.get_template(name)
        except TemplateNotFound as exc:
            if not required and exc.name == name:
                with self._lock:
                    self._absent.add(name)
                return None
            raise RenderError(describe_failure(exc, self.templates_dir, name)) from exc
        except Exception as exc:
            raise RenderError(describe_failure(exc, self.templates_dir, name)) from exc
        with self._lock:
            if len(self._templates) >= TEMPLATE_CACHE_SIZE:
                self._templates.clear()
            self._templates[name] = loaded
        return loaded

    def _compile_string(self, source: str, autoescape: bool) -> Template:
        key = (source, autoescape)
        compiled = self._strings.get(key)
        if compiled is None:
            text = f"{{% autoescape true %}}{source}{{% endautoescape %}}" if autoescape else source
            try:
                compiled = self.environment.from_string(text)
            except Exception as exc:
                raise RenderError(describe_failure(exc, None, "<string>")) from exc
            with self._lock:
                if len(self._strings) > 1_000:
                    self._strings.clear()
                self._strings[key] = compiled
        return compiled

    def _variables(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """What a template sees at top level: the environment's globals overlaid
        by the render's variables - what `Template.new_context` copies out of a
        ChainMap for every part, built once per message here. (Our templates
        never get template-specific globals, so all parts share it; Jinja never
        writes to a context's parent.)"""
        variables = dict(self.environment.globals)
        variables.update(context)
        return variables

    def _run(self, template: Template, variables: dict[str, Any]) -> str:
        """Render one part under the active budget, streaming: it stops at the
        output limit; `variables` comes from `_variables`."""
        env = self.environment
        context = env.context_class(env, variables, template.name, template.blocks, env.globals)
        chunks: list[str] = []
        keep = chunks.append
        size = 0
        limit = budget.current().limits.output
        try:
            for chunk in template.root_render_func(context):
                size += len(chunk)
                if size > limit:
                    raise budget.exceeded(f"the output is over {limit:,} characters")
                keep(chunk)
        except Exception as exc:
            folder = self.templates_dir if template.name else None
            raise RenderError(describe_failure(exc, folder, template.name or "<string>")) from exc
        return "".join(chunks)


def _one_line(text: str) -> str:
    """Header-like parts: whitespace (newlines included) collapses, so contact data
    can never inject a header line."""
    # A printable string has no whitespace but the space (str.isprintable is false
    # for every other character `\s` matches): most subjects are one line already.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return _WHITESPACE.sub(" ", text).strip()

"""Every send step rendered in every locale of its journey, for each sample contact.

The renderer is the one the engine uses, so a preview is exactly what would go
out (except that links and remote images are disarmed for offline viewing).
A message that fails to render shows the renderer's reason instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from babel import Locale, UnknownLocaleError

from journey.errors import RenderError
from journey.model import Plan, SendStep
from journey.renderer import RenderedMessage, Renderer, negotiate_locale
from journey.samples import SampleContact
from journey.site.offline import offline_html


@dataclass(frozen=True, slots=True)
class Preview:
    sample: SampleContact
    message: RenderedMessage | None
    html: str | None = None  # offline copy of message.html
    error: str = ""


@dataclass(slots=True)
class LocalePreviews:
    locale: str
    lang: str  # BCP 47: zh-Hans, sv
    label: str  # "Svenska (Swedish)"
    previews: list[Preview] = field(default_factory=list)


@dataclass(slots=True)
class StepPreviews:
    step: SendStep
    locales: list[LocalePreviews] = field(default_factory=list)


def bcp47(locale: str) -> str:
    return locale.replace("_", "-")


def locale_label(locale: str) -> str:
    """The locale in its own language, then in English: `svenska · Swedish`."""
    try:
        parsed = Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return locale
    native = parsed.get_display_name(parsed) or locale
    english = parsed.get_display_name("en") or locale
    return native if native == english else f"{native} · {english}"


def render_previews(
    plan: Plan,
    renderer: Renderer,
    samples: list[SampleContact],
    now: datetime,
    context: dict[str, Any],
) -> list[StepPreviews]:
    found: list[StepPreviews] = []
    for step in plan.steps:
        if not isinstance(step, SendStep):
            continue
        item = StepPreviews(step=step)
        for locale in plan.locales:
            group = LocalePreviews(locale=locale, lang=bcp47(locale), label=locale_label(locale))
            for sample in _natural_first(samples, locale, plan.locales):
                group.previews.append(_render(renderer, plan, step, sample, locale, now, context))
            item.locales.append(group)
        found.append(item)
    return found


def _natural_first(
    samples: list[SampleContact], locale: str, locales: tuple[str, ...]
) -> list[SampleContact]:
    """The contact whose own locale negotiates to `locale` comes first (and is shown open)."""

    def rank(sample: SampleContact) -> int:
        own = negotiate_locale(sample.contact.locale, locales)
        return 0 if own == locale else 1

    return sorted(samples, key=rank)


def _render(
    renderer: Renderer,
    plan: Plan,
    step: SendStep,
    sample: SampleContact,
    locale: str,
    now: datetime,
    context: dict[str, Any],
) -> Preview:
    try:
        message = renderer.render(
            template=step.template,
            message=step.message,
            contact=sample.contact,
            locales=plan.locales,
            context={**context, "message_id": f"preview.{plan.journey_id}.{step.id}"},
            now=now,
            locale=locale,
            timezone=plan.timezone,
        )
    except RenderError as exc:
        return Preview(sample=sample, message=None, error=str(exc))
    html = offline_html(message.html) if message.html is not None else None
    return Preview(sample=sample, message=message, html=html)

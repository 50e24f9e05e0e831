"""What one render needs beyond the template variables: catalog, formatting
locale, time zone and clock (the work budget is journey.budget's).

It lives in a ContextVar so the compiled templates, the gettext callables and
the filters stay shared across renders (nothing is rebuilt per message) while
each render - on any thread - sees its own contact's settings.
"""

from __future__ import annotations

import gettext
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from babel import Locale

from journey.context_setting import Setting
from journey.renderer.locale import locale_id

# (message, autoescape, *variables): the variables' (name, value) pairs
PrintedKey = tuple[Any, ...]


@dataclass(slots=True)
class RenderState:
    translations: gettext.NullTranslations = field(default_factory=gettext.NullTranslations)
    locale: Locale = field(default_factory=lambda: Locale("en"))
    tz: tzinfo = UTC
    now: datetime | None = None
    # The filters' cache key for `locale`: derived here unless the renderer passes
    # the one it keeps beside the locale, so never assign `locale` on a live state
    # (a state is made per render).
    locale_id: str = ""
    # What a `gettext` printed for `translations` (journey.renderer.translate):
    # the Renderer shares one dict per copy locale across renders, anywhere else
    # a state has its own.
    printed: dict[PrintedKey, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.locale_id:
            self.locale_id = locale_id(self.locale)


CURRENT: ContextVar[RenderState | None] = ContextVar("journey_render_state", default=None)


def current() -> RenderState:
    """The active render's state (a throw-away default outside any render)."""
    return CURRENT.get() or RenderState()


def active(state: RenderState) -> AbstractContextManager[RenderState]:
    """Make `state` the active render's state inside a `with`."""
    return Setting(CURRENT, state)

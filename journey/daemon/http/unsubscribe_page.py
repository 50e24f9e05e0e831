"""The HTML pages of one-click unsubscribe (RFC 8058): confirm, done, invalid link.

The words go through the workspace's gettext catalogs (``locales/<locale>/
LC_MESSAGES/messages.po``, the templates' own), in the language the contact's
emails come in: the journey's locale chosen for the contact, else the
browser's. A catalog without these entries leaves them in English.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape


@dataclass(frozen=True, slots=True)
class PageLanguage:
    tag: str = "en"  # the page's `lang`
    gettext: Callable[[str], str] = field(default=gettext.NullTranslations().gettext)


ENGLISH = PageLanguage()

# Source texts are the catalogs' msgids: translate these very strings.
_PAGES = {
    "confirm": (
        "Unsubscribe?",
        "You will no longer receive these emails.",
        "Unsubscribe",
    ),
    "done": ("You are unsubscribed", "You will not receive these emails any more.", ""),
    "invalid": (
        "This link does not work",
        "The unsubscribe link is incomplete or was changed. Copy the whole link from the email.",
        "",
    ),
}
MESSAGES = tuple(text for page in _PAGES.values() for text in page if text)


def unsubscribe_page(kind: str, token: str, language: PageLanguage = ENGLISH) -> str:
    """A small page that works without JavaScript; the form posts back to the same URL."""
    title, text, button = (language.gettext(t) if t else "" for t in _PAGES[kind])
    form = (
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">{escape(button)}</button></form>'
        if button
        else ""
    )
    return (
        f'<!doctype html><html lang="{escape(language.tag)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">'
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p>{form}</body></html>"
    )


def first_language(accept_language: str | None) -> str | None:
    """The browser's first choice from ``Accept-Language`` (``sv-SE,sv;q=0.9`` -> ``sv-SE``)."""
    if not accept_language:
        return None
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip()
    return first if first and first != "*" else None

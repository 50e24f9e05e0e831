"""The preference centre behind an unsubscribe link: per-topic choices and "everything".

When workspace.yaml declares `topics`, the signed unsubscribe link opens this
page instead of the bare confirmation: one checkbox per topic (its title in
the contact's language), "Save my choices", and "Unsubscribe from everything".
The one-click POST of RFC 8058 (`List-Unsubscribe=One-Click`, any body that is
not this page's own form) still works without the page: on a topic's link it
leaves that topic, on a link without one it stops marketing email as before.
The form is parsed from a small bounded body (the handler caps it at 4 KiB).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Literal
from urllib.parse import parse_qs

from journey.daemon.http.unsubscribe_page import ENGLISH, PageLanguage

_MAX_FIELDS = 200  # topics are a handful; a body of thousands of fields is not a form of ours

TITLE = "Your email preferences"
INTRO = "Choose what you would like to receive."
SAVE = "Save my choices"
EVERYTHING = "Unsubscribe from everything"
SAVED = "Your choices are saved."
LEFT_ALL = "You are unsubscribed from everything. You will not receive marketing messages any more."
LEFT_TOPIC = "You are unsubscribed from this topic."
MESSAGES = (TITLE, INTRO, SAVE, EVERYTHING, SAVED, LEFT_ALL, LEFT_TOPIC)


@dataclass(frozen=True, slots=True)
class TopicChoice:
    name: str
    title: str  # in the contact's language
    subscribed: bool


@dataclass(frozen=True, slots=True)
class FormChoice:
    """What a POST asks: the page's save (with the topics ticked), everything, or one-click."""

    action: Literal["save", "everything", "one_click"]
    ticked: frozenset[str] = field(default_factory=frozenset)


def parse_form(body: bytes) -> FormChoice:
    """This page's form (`action=save|everything`, `topic=…`), else an RFC 8058 one-click."""
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=_MAX_FIELDS, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return FormChoice(action="one_click")
    action = (fields.get("action") or [""])[0]
    if action == "save":
        return FormChoice(action="save", ticked=frozenset(fields.get("topic") or ()))
    if action == "everything":
        return FormChoice(action="everything")
    return FormChoice(action="one_click")


def preferences_page(
    topics: Sequence[TopicChoice], language: PageLanguage = ENGLISH, note: str = ""
) -> str:
    """The page; works without JavaScript, posts back to the same signed URL."""
    say = language.gettext
    boxes = "".join(
        '<p><label><input type="checkbox" name="topic" '
        f'value="{escape(t.name)}"{" checked" if t.subscribed else ""}> '
        f"{escape(t.title)}</label></p>"
        for t in topics
    )
    notice = f'<p role="status"><strong>{escape(say(note))}</strong></p>' if note else ""
    return (
        f'<!doctype html><html lang="{escape(language.tag)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(say(TITLE))}</title></head>"
        '<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">'
        f"<h1>{escape(say(TITLE))}</h1>{notice}<p>{escape(say(INTRO))}</p>"
        f'<form method="post">{boxes}'
        f'<button type="submit" name="action" value="save">{escape(say(SAVE))}</button></form>'
        '<form method="post" style="margin-top:2rem">'
        '<button type="submit" name="action" value="everything">'
        f"{escape(say(EVERYTHING))}</button></form></body></html>"
    )

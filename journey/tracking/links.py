"""Rewriting a rendered message's links to tracked ones, at send time.

Every `http(s)` link in the HTML part (`<a href>`), in the text part and in an
SMS or push body becomes `<base_url>/v1/t/<token>`; the target and its label
are kept in the message (`tracked_links`, stored with the delivery), and the
token names only the delivery and the link's position. A link is labelled in
the template with `data-journey-label="cta"` and left alone with
`data-journey-track="off"`; the unsubscribe link is never rewritten. The same
target in the text part shares the HTML link's entry (and label). HTML emails
get the open pixel when `opens: true`.
"""

from __future__ import annotations

import html as html_escapes
import re
from dataclasses import replace

from journey.model import Contact, Message, Plan, SendStep
from journey.tracking.settings import TrackingSettings
from journey.tracking.tokens import OPEN, make_tracking_token

MAX_TRACKED_LINKS = 200  # more links than this in one message stay as they are
_ANCHOR = re.compile(r"<a\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = r"""\s{name}\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'>]+))"""
_HREF = re.compile(_ATTRIBUTE.format(name="href"), re.IGNORECASE)
_LABEL = re.compile(_ATTRIBUTE.format(name="data-journey-label"), re.IGNORECASE)
_TRACK = re.compile(_ATTRIBUTE.format(name="data-journey-track"), re.IGNORECASE)
_OURS = re.compile(r"""\sdata-journey-(?:label|track)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+)""", re.I)
_TEXT_URL = re.compile(r"""https?://[^\s<>"'\[\]()]+""")
_TRAILING = ".,;:!?"
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


class _Links:
    def __init__(self, settings: TrackingSettings, key: bytes, message: Message) -> None:
        self.settings = settings
        self.key = key
        self.message = message
        self.found: list[dict[str, str]] = []

    def tracked(self, url: str, label: str) -> str | None:
        """The tracked URL for `url`; None for what is left alone."""
        if not url.lower().startswith(("http://", "https://")):
            return None
        if url == self.message.unsubscribe_url or url.startswith(self.settings.base_url):
            return None
        index = next((i for i, link in enumerate(self.found) if link["url"] == url), None)
        if index is None:
            if len(self.found) >= MAX_TRACKED_LINKS:
                return None
            index = len(self.found)
            self.found.append({"url": url, "label": label})
        elif label and not self.found[index]["label"]:
            self.found[index]["label"] = label
        return self.settings.url(make_tracking_token(self.key, self.message.delivery_key, index))

    def anchor(self, match: re.Match[str]) -> str:
        tag = match.group(0)
        href = _HREF.search(tag)
        track = _TRACK.search(tag)
        cleaned = _OURS.sub("", tag)
        if href is None or (track is not None and _value(track).lower() in ("off", "false")):
            return cleaned
        label = _LABEL.search(tag)
        url = html_escapes.unescape(_value(href)).strip()
        new = self.tracked(url, _value(label) if label else "")
        if new is None:
            return cleaned
        moved = _HREF.search(cleaned)
        assert moved is not None  # removing our attributes leaves href in place
        return f'{cleaned[: moved.start()]} href="{new}"{cleaned[moved.end() :]}'

    def text(self, body: str) -> str:
        def one(match: re.Match[str]) -> str:
            url = match.group(0)
            stripped = url.rstrip(_TRAILING)
            new = self.tracked(stripped, "")
            return url if new is None else new + url[len(stripped) :]

        return _TEXT_URL.sub(one, body)


def tracks(settings: TrackingSettings, plan: Plan, step: SendStep, contact: Contact) -> bool:
    """Whether this send's links are tracked: on in the workspace, not off in the journey or
    the step, and the contact consents (journey.tracking.settings)."""
    return plan.tracking is not False and step.tracking is not False and settings.allows(contact)


def track_message(message: Message, settings: TrackingSettings, key: bytes) -> Message:
    """The message with tracked links (and the pixel); unchanged when it has no links."""
    links = _Links(settings, key, message)
    html = _ANCHOR.sub(links.anchor, message.html) if message.html else message.html
    text = links.text(message.text)
    if html and message.message == "email" and settings.opens:
        pixel = (
            f'<img src="{settings.url(make_tracking_token(key, message.delivery_key, OPEN))}" '
            'width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">'
        )
        end = _BODY_END.search(html)
        html = f"{html[: end.start()]}{pixel}{html[end.start() :]}" if end else html + pixel
    return replace(message, html=html, text=text, tracked_links=links.found)


def _value(match: re.Match[str]) -> str:
    return match.group("dq") or match.group("sq") or match.group("bare") or ""

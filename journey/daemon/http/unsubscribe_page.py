"""The HTML pages of one-click unsubscribe (RFC 8058): confirm, done, invalid link."""

from __future__ import annotations

_PAGES = {
    "confirm": (
        "Unsubscribe?",
        "You will no longer receive these emails.",
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>',
    ),
    "done": ("You are unsubscribed", "You will not receive these emails any more.", ""),
    "invalid": (
        "This link does not work",
        "The unsubscribe link is incomplete or was changed. Copy the whole link from the email.",
        "",
    ),
}


def unsubscribe_page(kind: str, token: str) -> str:
    """A small page that works without JavaScript; the form posts back to the same URL."""
    title, text, form = _PAGES[kind]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>"
        '<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">'
        f"<h1>{title}</h1><p>{text}</p>{form}</body></html>"
    )

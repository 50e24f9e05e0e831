"""Reading built pages the way a browser would: every URL it would fetch or follow."""

from __future__ import annotations

import re
from html.parser import HTMLParser

URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "poster", "background", "data"}
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.IGNORECASE)


class PageFacts(HTMLParser):
    """URLs in attributes and inline CSS, recursing into iframe srcdoc documents."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.srcdocs: list[str] = []
        self.langs: list[tuple[str, str]] = []  # (class, lang)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name in URL_ATTRIBUTES:
                self.urls += [part.strip().split(" ")[0] for part in value.split(",")]
            if name == "style":
                self.urls += CSS_URL.findall(value)
            if name == "srcdoc":
                self.srcdocs.append(value)
        if "lang" in values:
            self.langs.append((values.get("class", ""), values["lang"]))

    def handle_data(self, data: str) -> None:
        if self.lasttag == "style":
            self.urls += CSS_URL.findall(data)


def all_urls(html: str) -> list[str]:
    facts = PageFacts()
    facts.feed(html)
    urls = list(facts.urls)
    for inner in facts.srcdocs:
        urls += all_urls(inner)
    return urls


def leaves_the_site(url: str) -> bool:
    """A scheme other than data:, or a protocol-relative //host, goes out."""
    lowered = url.strip().lower()
    if lowered.startswith("//"):
        return True
    scheme = re.match(r"^([a-z][a-z0-9+.-]*):", lowered)
    return scheme is not None and scheme.group(1) != "data"

"""Keep previews self-contained: no address in a page may make the browser go out.

Emails link to the shop and carry a tracking pixel. In the site they are shown,
not sent: a link keeps its look but points nowhere (its target is in the
tooltip), and a remote image is replaced by an empty one of the same size, so a
reviewer's browser never contacts a real host, and the site works offline.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Attributes a browser fetches or navigates to.
URL_ATTRIBUTES = frozenset(
    {"href", "src", "srcset", "action", "formaction", "poster", "background", "data", "xlink:href"}
)
BLANK_IMAGE = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE)


def is_external(url: str) -> bool:
    """True for anything with a scheme (except data:) or a protocol-relative `//host`."""
    value = url.strip().lower()
    if value.startswith("//"):
        return True
    scheme = re.match(r"^([a-z][a-z0-9+.-]*):", value)
    return scheme is not None and scheme.group(1) != "data"


def offline_html(document: str) -> str:
    """`document` with every external link disarmed and every external resource blanked."""
    rewriter = _Rewriter()
    rewriter.feed(document)
    rewriter.close()
    return "".join(rewriter.out)


def _css(text: str) -> str:
    return _CSS_URL.sub(lambda m: "none" if is_external(m.group(2)) else m.group(0), text)


class _Rewriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, self.get_starttag_text() or "", closed=False))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, self.get_starttag_text() or "", closed=True))

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], raw: str, *, closed: bool) -> str:
        changed = False
        kept: list[tuple[str, str | None]] = []
        for name, value in attrs:
            if value is not None and name in URL_ATTRIBUTES and _any_external(name, value):
                changed = True
                if tag == "img" and name == "src":
                    kept.append((name, BLANK_IMAGE))
                elif name == "href":
                    kept += [(name, "#"), ("title", f"Links to {value}")]
                continue
            if value is not None and name == "style" and _css(value) != value:
                changed = True
                value = _css(value)
            kept.append((name, value))
        if not changed:
            return raw
        body = "".join(
            f" {name}" if value is None else f' {name}="{html.escape(value)}"'
            for name, value in kept
        )
        return f"<{tag}{body}{' /' if closed else ''}>"

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(_css(data) if self.lasttag == "style" else data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")


def _any_external(name: str, value: str) -> bool:
    if name == "srcset":
        return any(is_external(part.strip().split(" ")[0]) for part in value.split(",") if part)
    return is_external(value)

"""Links between the concept pages in docs/ lead somewhere: the page exists, and so
does the heading an `#anchor` names (GitHub's slug rules)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = (
    "index.md",
    "getting-started.md",
    "journeys.md",
    "templates.md",
    "localisation.md",
    "testing-journeys.md",
    "diagnostics.md",
    "cli.md",
    "ci.md",
    "python-api.md",
)
# pages other parts of the project write; linked from index.md, maybe not there yet
ELSEWHERE = {"operating.md", "site.md"}
LINK = re.compile(r"\]\(([\w.-]+\.md)?(?:#([\w-]+))?\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)


def slugs(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text("utf-8"))
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


@pytest.mark.parametrize("name", PAGES)
def test_every_link_on_the_page_resolves(name: str) -> None:
    page = DOCS / name
    broken = []
    for target, anchor in LINK.findall(FENCE.sub("", page.read_text("utf-8"))):
        if target in ELSEWHERE and not (DOCS / target).is_file():
            continue
        linked = DOCS / target if target else page
        if not linked.is_file() or (anchor and anchor not in slugs(linked)):
            broken.append(f"{target}#{anchor}")
    assert broken == []

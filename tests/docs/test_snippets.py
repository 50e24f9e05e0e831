"""The journey snippets in docs/ validate, so the pages cannot drift from the tool.

Each snippet is a file in tests/docs/snippets/; a page shows it in a ```yaml block
whose first line is `# tests/docs/snippets/NAME.yaml`, followed by the file's text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from journey.validator import check_workspace, validate_files

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "tests" / "docs" / "snippets"
FILES = sorted(SNIPPETS.glob("*.yaml"))
BLOCK = re.compile(r"```yaml\n# (tests/docs/snippets/[\w.-]+\.yaml)\n(.*?)```", re.DOTALL)


def shown_blocks() -> dict[str, list[str]]:
    """Snippet path -> every text a page shows for it."""
    found: dict[str, list[str]] = {}
    for page in sorted((ROOT / "docs").glob("*.md")):
        for match in BLOCK.finditer(page.read_text("utf-8")):
            found.setdefault(match[1], []).append(match[2])
    return found


def test_every_snippet_validates_without_problems_in_the_repository_workspace() -> None:
    workspace, problems, _ = check_workspace(ROOT)
    assert problems == []
    result = validate_files(FILES, workspace)
    shown = [f"{d.location.path}:{d.location.line}: {d.code}" for d in result.diagnostics]
    assert shown == []
    assert len(FILES) >= 10


def test_a_snippet_with_a_mistake_is_caught(tmp_path: Path) -> None:
    """The check above really validates: a misspelt target in a copy fails."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (SNIPPETS / "steps.yaml").read_text("utf-8").replace("goto: tips", "goto: tipz"), "utf-8"
    )
    workspace, _, _ = check_workspace(ROOT)
    codes = {d.code for d in validate_files([broken], workspace).diagnostics}
    assert "unknown-step-target" in codes


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_snippet_is_shown_in_the_docs_exactly_as_it_is_validated(path: Path) -> None:
    key = path.relative_to(ROOT).as_posix()
    texts = shown_blocks().get(key, [])
    assert texts, f"{key} is not shown in any docs/*.md page"
    assert all(text == path.read_text("utf-8") for text in texts), f"docs show a stale {key}"


def test_every_snippet_block_in_the_docs_has_its_file() -> None:
    missing = [key for key in shown_blocks() if not (ROOT / key).is_file()]
    assert missing == []

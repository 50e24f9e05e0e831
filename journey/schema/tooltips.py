"""Editor tooltips: every schema `description` is plain text, its Markdown in `markdownDescription`.

VS Code's YAML extension (yaml-language-server) renders `markdownDescription`
and shows `description` verbatim, so Markdown in `description` appears as
literal backticks. Authors write Markdown in `description`; `python -m
journey.schema.tooltips` moves it to `markdownDescription` and leaves the plain
form behind, editing the text in place so the files keep their layout. A test
fails while any description still holds Markdown.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from journey.generated_files import generator_main
from journey.plaintext import has_markdown, plain_text

_DESCRIPTION = re.compile(r'"description": ("(?:[^"\\]|\\.)*")')
PACKAGED = Path(__file__).parent
TOP_LEVEL = PACKAGED.parents[1] / "schema"


def split_markdown(text: str) -> str:
    """The schema file's text with each Markdown description split in two.

    Where an object has a `markdownDescription` already, only its description
    is made plain.
    """
    paired = _described_with_markdown(json.loads(text))

    def split(match: re.Match[str]) -> str:
        original: str = json.loads(match[1])
        if not has_markdown(original):
            return match[0]
        plain = json.dumps(plain_text(original), ensure_ascii=False)
        if original in paired:
            return f'"description": {plain}'
        return f'"description": {plain}, "markdownDescription": {match[1]}'

    return _DESCRIPTION.sub(split, text)


def authored_description(schema: dict[str, object]) -> str:
    """The description as its author wrote it: the Markdown form where this tool split it."""
    plain = str(schema.get("description") or "")
    markdown = schema.get("markdownDescription")
    if isinstance(markdown, str) and plain_text(markdown) == plain:
        return markdown
    return plain


def _described_with_markdown(node: object) -> set[str]:
    """Descriptions of the objects that carry a markdownDescription of their own."""
    found: set[str] = set()
    if isinstance(node, dict):
        if "markdownDescription" in node and isinstance(node.get("description"), str):
            found.add(node["description"])
        for value in node.values():
            found |= _described_with_markdown(value)
    elif isinstance(node, list):
        for value in node:
            found |= _described_with_markdown(value)
    return found


def main(argv: list[str] | None = None) -> int:
    """Rewrite journey/schema/*.schema.json (and the copies in schema/) in place."""
    return generator_main(
        argv,
        prog="journey.schema.tooltips",
        description="Split the schemas' descriptions into plain text and markdownDescription.",
        render=lambda _: _tooltip_files(),
        takes_output=False,
    )


def _tooltip_files() -> dict[Path, str]:
    files: dict[Path, str] = {}
    for path in sorted(PACKAGED.glob("*.schema.json")):
        text = split_markdown(path.read_text("utf-8"))
        json.loads(text)  # still JSON
        files[path] = text
        if TOP_LEVEL.is_dir():
            files[TOP_LEVEL / path.name] = text
    return files


if __name__ == "__main__":
    sys.exit(main())

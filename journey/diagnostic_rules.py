"""The diagnostics catalogue as data: each code's severity, problem and fix, for SARIF rules.

docs/diagnostics.md is the catalogue people read; `diagnostic_rules.json` beside this
module is the same text parsed once, shipped as package data so an installed
`journey` can describe its rules without the docs folder. Regenerate with
``python -m journey.diagnostic_rules`` (a test fails when it is stale).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from journey.errors import Severity
from journey.generated_files import generator_main
from journey.plaintext import plain_text

CATALOGUE_PAGE = "docs/diagnostics.md"
DATA_FILE = "diagnostic_rules.json"

_SECTION = re.compile(
    r"^### ([a-z0-9-]+)\n\n\*\*(error|warning)\.\*\* (.*?)(?:\n\n|\Z)", re.S | re.M
)
_FIX = re.compile(r"\s*\*\*Fix:\*\*\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One diagnostic code as the catalogue describes it."""

    code: str
    severity: Severity
    problem: str  # Markdown
    fix: str  # Markdown; empty when the catalogue names none

    @property
    def summary(self) -> str:
        """The first sentence of the problem, as plain text."""
        first = _SENTENCE_END.split(self.problem, maxsplit=1)[0]
        return plain_text(first)

    @property
    def help_markdown(self) -> str:
        fix = f"\n\n**Fix:** {self.fix}" if self.fix else ""
        return f"{self.problem}{fix}\n\nSee `{CATALOGUE_PAGE}#{self.code}`."


def parse_catalogue(markdown: str) -> dict[str, Rule]:
    """Code -> Rule, from the text of docs/diagnostics.md."""
    rules: dict[str, Rule] = {}
    for match in _SECTION.finditer(markdown):
        code, severity, body = match[1], match[2], " ".join(match[3].split())
        problem, *fix = _FIX.split(body, maxsplit=1)
        rules[code] = Rule(
            code=code,
            severity="warning" if severity == "warning" else "error",
            problem=problem.strip(),
            fix=fix[0].strip() if fix else "",
        )
    return rules


@cache
def rules() -> dict[str, Rule]:
    """The shipped catalogue."""
    text = resources.files("journey").joinpath(DATA_FILE).read_text("utf-8")
    return {
        code: Rule(code=code, severity=e["severity"], problem=e["problem"], fix=e["fix"])
        for code, e in json.loads(text).items()
    }


def render_data(markdown: str) -> str:
    entries = {
        rule.code: {"severity": rule.severity, "problem": rule.problem, "fix": rule.fix}
        for rule in sorted(parse_catalogue(markdown).values(), key=lambda r: r.code)
    }
    return json.dumps(entries, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write journey/diagnostic_rules.json from docs/diagnostics.md (`--check`: exit 1 if stale)."""
    root = Path(__file__).resolve().parents[1]
    return generator_main(
        argv,
        prog="journey.diagnostic_rules",
        description="Write journey/diagnostic_rules.json from docs/diagnostics.md.",
        render=lambda _: {
            Path(__file__).with_name(DATA_FILE): render_data(
                (root / CATALOGUE_PAGE).read_text("utf-8")
            )
        },
        takes_output=False,
    )


if __name__ == "__main__":
    sys.exit(main())

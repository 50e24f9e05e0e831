"""docs/diagnostics.md documents every code the loader and validator can report.

A code is found two ways: in the `# expect: LINE:COL CODE` lines of the invalid
corpus, and as a kebab-case string literal in journey/validator, journey/loader,
journey/testing and journey/workspace_files.py. A kebab-case literal there that
is not a code must be named in NOT_CODES, so a new code cannot slip in undocumented.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from journey.validator import validate_paths
from tests.validator.semantic_support import corpus_workspace

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "diagnostics.md"
INVALID = ROOT / "tests" / "data" / "invalid"
SOURCES = ("journey/validator", "journey/loader", "journey/testing", "journey/workspace_files.py")
KEBAB = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")
EXPECT = re.compile(rb"^# expect: \d+:\d+ ([a-z0-9-]+)\s*$")
HEADING = re.compile(r"^### ([a-z0-9-]+)$", re.MULTILINE)
# kebab-case literals in those folders that are not diagnostic codes
NOT_CODES = {"journey-test", "utf-8", "utf-8-sig"}


def documented() -> dict[str, str]:
    """Code -> the text of its section."""
    text = PAGE.read_text("utf-8")
    sections = re.split(r"^(?=#{2,3} )", text, flags=re.MULTILINE)
    found: dict[str, str] = {}
    for section in sections:
        match = HEADING.match(section)
        if match:
            found[match[1]] = section
    return found


def corpus_codes() -> set[str]:
    codes = set()
    for path in INVALID.glob("*.yaml"):
        for line in path.read_bytes().splitlines():
            match = EXPECT.match(line)
            if match is None:
                break
            codes.add(match[1].decode())
    return codes


def source_codes() -> set[str]:
    codes = set()
    for folder in SOURCES:
        base = ROOT / folder
        for path in [base] if base.is_file() else base.glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and KEBAB.match(node.value)
                ):
                    codes.add(node.value)
    return codes - NOT_CODES


def test_every_code_of_the_invalid_corpus_has_a_heading() -> None:
    codes = corpus_codes()
    assert len(codes) >= 30
    assert sorted(codes - documented().keys()) == []


def test_every_code_literal_in_the_loader_and_validator_has_a_heading() -> None:
    codes = source_codes()
    assert {"duplicate-key", "unknown-step-target", "missing-translation"} <= codes
    assert sorted(codes - documented().keys()) == []


def test_every_heading_is_a_code_that_exists() -> None:
    """No stale entries: each documented code is still reported somewhere."""
    known = corpus_codes() | source_codes() | {"compile-error"}  # from journey site
    assert sorted(documented().keys() - known) == []


def test_each_entry_states_the_severity_validation_really_uses() -> None:
    reported = {d.code: d.severity for d in validate_paths([INVALID], corpus_workspace())}
    sections = documented()
    wrong = [
        code
        for code, severity in reported.items()
        if f"**{severity}.**" not in sections.get(code, "")
    ]
    assert wrong == []
    assert {"error", "warning"} <= set(reported.values())

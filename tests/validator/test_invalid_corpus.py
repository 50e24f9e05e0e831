"""The invalid corpus: each file in tests/data/invalid is a realistic journey with one planted
mistake, and its first line(s) say which problem validation must report, and where:

    # expect: LINE:COL CODE
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from journey.errors import Diagnostic
from journey.loader import load_yaml
from journey.validator import validate_paths
from journey.validator.semantic import check_semantics
from tests.validator.semantic_support import DATA, corpus_workspace

INVALID = DATA / "invalid"
CASES = sorted(INVALID.glob("*.yaml"))
EXPECT = re.compile(rb"^# expect: (\d+):(\d+) ([a-z0-9-]+)\s*$")

EVERY_CODE = {
    # semantic
    "duplicate-step-id", "reserved-step-id", "unknown-step-target", "unreachable-step",
    "loop-without-wait", "split-weights", "expression-syntax", "unknown-name",
    "unknown-attribute", "unknown-event", "invalid-duration", "suspicious-duration",
    "invalid-time", "quiet-hours-empty", "unknown-timezone", "invalid-cron", "unknown-channel",
    "channel-message-mismatch", "literal-secret", "invalid-exit-reason",
    "schedule-needs-audience", "reentry-never-recurring", "goal-shadows-step",
    "date-attribute-type", "empty-steps", "duplicate-journey-id",
    # loader and schema
    "duplicate-key", "yaml-syntax", "ambiguous-yaml-value", "unknown-key", "missing-key",
    "invalid-value", "step-action", "multiple-documents", "yaml-too-complex", "not-utf8",
    "binary-file",
}  # fmt: skip


NO_HINT = {"binary-file", "yaml-syntax"}  # nothing to suggest beyond the message itself


def expectations(path: Path) -> set[tuple[int, int, str]]:
    expected = set()
    for line in path.read_bytes().splitlines():
        match = EXPECT.match(line)
        if match is None:
            break
        expected.add((int(match[1]), int(match[2]), match[3].decode()))
    return expected


@pytest.fixture(scope="module")
def corpus_diagnostics() -> dict[str, list[Diagnostic]]:
    """The whole folder in one run, as `journey validate tests/data/invalid` would see it."""
    grouped: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in validate_paths([INVALID], corpus_workspace()):
        grouped[Path(diagnostic.location.path).name].append(diagnostic)
    return grouped


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_each_invalid_file_yields_its_expected_code_and_position(
    path: Path, corpus_diagnostics: dict[str, list[Diagnostic]]
) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} must start with `# expect: LINE:COL CODE`"
    found = corpus_diagnostics.get(path.name, [])
    got = {(d.location.line, d.location.col, d.code) for d in found}
    assert expected <= got, f"missing {sorted(expected - got)}; found {sorted(got)}"
    planted = [d for d in found if (d.location.line, d.location.col, d.code) in expected]
    unhinted = [d.code for d in planted if not d.hint and d.code not in NO_HINT]
    assert unhinted == [], "a planted problem comes with a hint saying what to do"


LOADABLE = [p for p in CASES if isinstance(load_yaml(p).data, dict)]


@pytest.mark.parametrize("path", LOADABLE, ids=lambda p: p.name)
def test_the_semantic_pass_finds_only_the_planted_mistake(path: Path) -> None:
    """Keeps the corpus honest: one mistake per file, no stray problems around it."""
    planted = {code for _, _, code in expectations(path)}
    found = {d.code for d in check_semantics(load_yaml(path), corpus_workspace())}
    assert found <= planted, f"unexpected: {sorted(found - planted)}"


def test_the_corpus_is_large_and_covers_every_code() -> None:
    covered = {code for path in CASES for _, _, code in expectations(path)}
    assert len(CASES) >= 45
    assert EVERY_CODE - covered == set()

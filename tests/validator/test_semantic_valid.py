"""Valid journeys, every trigger and step kind among them, pass without a single remark."""

from __future__ import annotations

from pathlib import Path

import pytest

from journey.loader import load_yaml
from journey.validator import validate_paths
from journey.validator.semantic import check_semantics
from journey.workspace import load_workspace
from tests.validator.semantic_support import DATA, corpus_workspace

VALID = sorted((DATA / "valid").glob("*.yaml"))


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_a_valid_journey_gets_no_diagnostics(path: Path) -> None:
    found = validate_paths([path], corpus_workspace(), templates=False)
    assert [(str(d.location), d.code, d.message) for d in found] == []


def test_the_valid_journeys_use_every_trigger_and_step_kind() -> None:
    triggers, actions = set(), set()
    for path in VALID:
        data = load_yaml(path).data
        triggers |= set(data["trigger"]) & {"event", "segment", "date", "schedule", "inactivity"}
        actions |= {key for step in data["steps"] for key in step} - {"id", "next"}
    assert triggers == {"event", "segment", "date", "schedule", "inactivity"}
    assert actions == {
        "send", "wait", "wait_until", "wait_for", "branch", "split", "update", "webhook", "exit"
    }  # fmt: skip


def test_the_repository_examples_pass_the_semantic_checks() -> None:
    root = Path(__file__).resolve().parents[2]
    workspace = load_workspace(root)[0]
    examples = sorted((root / "journeys" / "examples").glob("*.yaml"))
    examples = [p for p in examples if not p.name.endswith(".test.yaml")]
    assert examples
    for path in examples:
        assert check_semantics(load_yaml(path), workspace) == [], path.name

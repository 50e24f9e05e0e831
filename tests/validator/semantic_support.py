"""Shared helpers for the semantic-check tests: the corpus workspace and a one-call check."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from journey.errors import Diagnostic
from journey.loader import load_yaml_text
from journey.validator.semantic import check_semantics
from journey.workspace import Workspace, build_workspace, load_workspace

DATA = Path(__file__).resolve().parents[1] / "data"
WORKSPACE_DIR = DATA / "workspace"

# a journey header the tests put their steps under
HEADER = "id: j-test\nname: Test journey\nkind: onboarding\ntrigger: { event: signed_up }\n"


@lru_cache(maxsize=1)
def corpus_workspace() -> Workspace:
    """The workspace of tests/data: channels email/sms/push/crm, declared attributes and events."""
    return load_workspace(WORKSPACE_DIR)[0]


def bare_workspace(**data: Any) -> Workspace:
    """A workspace.yaml with only ``data`` (no declared attributes or events by default)."""
    return build_workspace(Path("."), data)


def check(text: str, workspace: Workspace | None = None) -> list[Diagnostic]:
    doc = load_yaml_text(text, "journey.yaml")
    assert not doc.diagnostics, doc.diagnostics
    return check_semantics(doc, workspace or corpus_workspace())


def codes(diagnostics: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return [(d.code, d.location.line, d.location.col) for d in diagnostics]


def only(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    """The single diagnostic with ``code``; fails when there are none or several."""
    matching = [d for d in diagnostics if d.code == code]
    assert len(matching) == 1, [(d.code, d.message) for d in diagnostics]
    return matching[0]


def with_steps(steps: str, *, top: str = "") -> str:
    return HEADER + top + "steps:\n" + steps


def with_trigger(trigger: str, top: str = "") -> str:
    """A one-send journey with ``trigger`` (flow YAML) and extra top-level lines."""
    header = HEADER.replace("trigger: { event: signed_up }", f"trigger: {trigger}")
    return header + top + "steps:\n  - id: s\n    send: { channel: email, template: t/x }\n"

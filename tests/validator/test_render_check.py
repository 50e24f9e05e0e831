"""Validation renders every send step in every listed locale with the entry
event's example, so a template that fails at send time fails before merge."""

from __future__ import annotations

import re
from pathlib import Path

from journey.errors import Diagnostic
from journey.validator import check_workspace, validate_files
from tests.support.cart_workspace import BODY, write_cart_workspace


def validate(root: Path, journey: Path) -> list[Diagnostic]:
    workspace, _, _ = check_workspace(root)
    return validate_files([journey], workspace).diagnostics


def test_a_filter_given_the_wrong_value_is_located_at_the_template_line(tmp_path: Path) -> None:
    body = BODY.replace("{{ item.name }}", "{{ item.name | format_currency('EUR') }}")
    journey = write_cart_workspace(tmp_path, body=body)
    found = [d for d in validate(tmp_path, journey) if d.code == "send-render"]
    assert found, "the render check did not run"
    assert all(d.is_error for d in found)
    text = next(d for d in found if d.location.path.endswith("body.txt"))
    assert text.location.line == 1
    assert "step `remind` fails to render in en, de" in text.message
    assert "'Espresso beans' is not a number" in text.message


def test_without_an_example_a_failure_asks_for_one(tmp_path: Path) -> None:
    journey = write_cart_workspace(tmp_path)
    workspace_file = tmp_path / "workspace.yaml"
    text = workspace_file.read_text()
    workspace_file.write_text(re.sub(r"    example:\n(      .*\n)+", "", text))
    found = [d for d in validate(tmp_path, journey) if d.code == "send-render"]
    assert found and all(d.severity == "warning" for d in found)
    assert found[0].hint is not None and "example:" in found[0].hint


def test_the_repositorys_example_journeys_render_in_every_locale() -> None:
    root = Path(__file__).resolve().parents[2]
    workspace, _, _ = check_workspace(root)
    journeys = sorted((root / "journeys" / "examples").glob("*.yaml"))
    journeys = [p for p in journeys if not p.name.endswith(".test.yaml")]
    found = validate_files(journeys, workspace).diagnostics
    assert [d for d in found if d.code == "send-render"] == []

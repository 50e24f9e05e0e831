"""An analyst uses journey from a notebook: the Python API gives what the commands print.

docs/python-api.md is executed as written, and each API call is compared with
the CLI command that calls the same code.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from journey import api
from journey.cli.main import cli
from journey.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "python-api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_every_example_on_the_page_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    namespace: dict[str, Any] = {}
    blocks = BLOCK.findall(PAGE.read_text("utf-8"))
    assert len(blocks) >= 5
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), namespace)
    assert namespace["first"].code == "unknown-step-target"
    assert namespace["message"].locale == "sv"
    assert namespace["report"].counts.entered >= 1


def test_validate_reports_what_the_cli_reports(tmp_path: Path) -> None:
    workspace = _copy_workspace(tmp_path)
    broken = workspace / "journeys" / "examples" / "onboarding.yaml"
    broken.write_text(broken.read_text().replace("next: grind-guide", "next: grind-gide"))
    problems = api.open_workspace(workspace).validate()
    result = CliRunner().invoke(
        cli, ["--workspace", str(workspace), "validate", "--format", "json"]
    )
    printed = json.loads(result.output)
    assert [(p.code, p.location.line, p.location.col) for p in problems] == [
        (p["code"], p["line"], p["col"]) for p in printed
    ]
    assert problems[0].code == "unknown-step-target"


def test_compile_raises_with_located_diagnostics() -> None:
    project = api.open_workspace(ROOT)
    with pytest.raises(InvalidInput) as raised:
        project.compile(ROOT / "tests" / "data" / "invalid" / "unknown_target_next.yaml")
    assert {d.code for d in raised.value.diagnostics} >= {"unknown-step-target"}
    assert all(d.location.line > 0 for d in raised.value.diagnostics)


def test_preview_is_the_message_the_cli_previews() -> None:
    project = api.open_workspace(ROOT)
    plan = project.compile(ROOT / "journeys" / "examples" / "onboarding.yaml")
    contact = {"id": "c-1", "email": "li@example.com", "locale": "zh_CN", "first_name": "丽"}
    at = datetime(2026, 5, 4, 1, tzinfo=UTC)
    message = project.preview(plan, "welcome", contact, at=at)
    result = CliRunner().invoke(
        cli,
        [
            "--workspace",
            str(ROOT),
            "preview",
            str(ROOT / "journeys" / "examples" / "onboarding.yaml"),
            "--step",
            "welcome",
            "--contact",
            json.dumps(contact),
            "--at",
            at.isoformat(),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"Subject:   {message.subject}" in result.output
    assert message.text in result.output
    assert message.locale == "zh_Hans"


def test_status_rows_are_the_cli_json(tmp_path: Path) -> None:
    workspace = _copy_workspace(tmp_path)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    events = tmp_path / "events.jsonl"
    event = {"name": "signed_up", "contact_id": "c-1042", "timestamp": now}
    events.write_text(json.dumps({**event, "properties": {"plan": "trial"}}) + "\n")
    for args in (
        ["contacts", "import", str(ROOT / "docs" / "examples" / "contacts.jsonl")],
        ["ingest", str(events)],
        ["run", "--once"],
    ):
        done = subprocess.run(["journey", *args], cwd=workspace, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
    rows = api.open_workspace(workspace).status()
    printed = CliRunner().invoke(cli, ["--workspace", str(workspace), "status", "--format", "json"])
    assert rows == json.loads(printed.output)["journeys"]
    onboarding = next(r for r in rows if r["journey_id"] == "onboarding-welcome")
    assert onboarding["entered"] == 1
    assert onboarding["active"] == 1  # the welcome may wait for quiet hours to end


def _copy_workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    shutil.copy(ROOT / "workspace.yaml", workspace / "workspace.yaml")
    for name in ("journeys", "templates", "locales"):
        shutil.copytree(ROOT / name, workspace / name)
    return workspace


def test_preview_takes_the_entry_event_or_the_declared_example(tmp_path: Path) -> None:
    from tests.support.cart_workspace import write_cart_workspace

    journey_file = write_cart_workspace(tmp_path)
    project = api.open_workspace(tmp_path)
    plan = project.compile(journey_file)
    contact = {"id": "c1", "email": "a@example.com", "locale": "en"}
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    example = project.preview(plan, "remind", contact, at=at)
    assert "2 × Espresso beans" in example.text
    given = {
        "properties": {"items": [{"name": "Mug", "quantity": 4}], "total": 9, "currency": "EUR"}
    }
    message = project.preview(plan, "remind", contact, at=at, event=given)
    assert "4 × Mug" in message.text and "Espresso" not in message.text

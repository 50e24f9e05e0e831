"""CI runs `journey validate`: exit codes, formats, and every problem in one run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from journey.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]

BROKEN = """\
id: broken-one
name: Broken
kind: onboarding
trigger: { event: signed_up }
steps:
  - id: welcome
    send: { channel: email, template: onboarding/welcome }
    next: nowhere
  - id: pause
    wiat: 2d
"""


def run(*args: str, workspace: Path = ROOT) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(workspace), *args])
    return result.exit_code, result.output


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    for name in ("workspace.yaml",):
        shutil.copy(ROOT / name, tmp_path / name)
    for name in ("templates", "locales"):
        shutil.copytree(ROOT / name, tmp_path / name)
    (tmp_path / "journeys").mkdir()
    return tmp_path


def test_shipped_examples_are_clean() -> None:
    code, output = run("validate", str(ROOT / "journeys"))
    assert code == 0, output
    assert "ok: no problems" in output


def test_problems_in_two_files_are_all_reported(workspace: Path) -> None:
    (workspace / "journeys" / "a.yaml").write_text(BROKEN)
    (workspace / "journeys" / "b.yaml").write_text(BROKEN.replace("broken-one", "broken-two"))
    code, output = run("validate", str(workspace / "journeys"), workspace=workspace)
    assert code == 1
    for name in ("a.yaml", "b.yaml"):
        assert f"{name}:8:5: error unknown-step-target" in output
        assert f"{name}:10:5: error unknown-key" in output
    assert "did you mean `wait`" in output


def test_json_format_is_machine_readable(workspace: Path) -> None:
    path = workspace / "journeys" / "a.yaml"
    path.write_text(BROKEN)
    code, output = run("validate", str(path), "--format", "json", workspace=workspace)
    problems = json.loads(output)
    assert code == 1
    assert {(p["line"], p["code"]) for p in problems} >= {(8, "unknown-step-target")}
    assert all(set(p) >= {"path", "line", "col", "severity", "code", "message"} for p in problems)


def test_github_annotations(workspace: Path) -> None:
    path = workspace / "journeys" / "a.yaml"
    path.write_text(BROKEN)
    code, output = run("validate", str(path), "--format", "github", workspace=workspace)
    assert code == 1
    assert any(
        line.startswith("::error file=") and ",line=8,col=5,title=unknown-step-target::" in line
        for line in output.splitlines()
    )


def test_strict_fails_on_warnings(workspace: Path) -> None:
    path = workspace / "journeys" / "w.yaml"
    path.write_text(
        BROKEN.replace("    next: nowhere\n", "").replace("wiat: 2d", "wait: 2d") + "reentry: 30m\n"
    )
    code, output = run("validate", str(path), workspace=workspace)
    assert code == 0, output
    assert "warning suspicious-duration" in output
    code, _ = run("validate", "--strict", str(path), workspace=workspace)
    assert code == 1


def test_missing_path_is_a_usage_error() -> None:
    code, output = run("validate", "/nonexistent/journeys")
    assert code == 2
    assert "no such file" in output
    assert "Traceback" not in output


def test_unknown_format_is_a_usage_error() -> None:
    code, _ = run("validate", "--format", "xml")
    assert code == 2


def test_a_file_named_from_elsewhere_is_checked_against_its_own_workspace(
    workspace: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "journeys").mkdir(exist_ok=True)
    journey = workspace / "journeys" / "onboarding.yaml"
    shutil.copy(ROOT / "journeys" / "examples" / "onboarding.yaml", journey)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)  # no workspace.yaml here or above
    result = CliRunner().invoke(cli, ["validate", str(journey)])
    assert result.exit_code == 0, result.output  # its templates and locales were found
    (workspace / "templates" / "onboarding" / "welcome" / "subject.txt").unlink()
    result = CliRunner().invoke(cli, ["validate", str(journey)])
    assert result.exit_code == 1
    assert "missing-template-part" in result.output

"""A reviewer asks what a journey change does to contacts in flight: `journey diff`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from journey.cli.main import cli

JOURNEY = """\
id: welcome
name: Welcome
kind: onboarding
on_change: migrate
trigger: { event: signed_up }
goal: { event: subscribed, within: 14d }
steps:
  - id: hello
    send: { channel: email, template: onboarding/welcome }
  - id: pause
    wait: 2d
  - id: reminder
    send: { channel: email, template: onboarding/reminder }
"""

CHANGED = (
    JOURNEY.replace("wait: 2d", "wait: 3d")
    .replace("event: signed_up", "event: registered")
    .replace(
        "  - id: reminder\n    send: { channel: email, template: onboarding/reminder }\n",
        "  - id: thanks\n    send: { channel: email, template: onboarding/thanks }\n",
    )
)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # file arguments are relative to the current folder
    (tmp_path / "journeys").mkdir()
    (tmp_path / "journeys" / "welcome.yaml").write_text(JOURNEY)
    (tmp_path / "new.yaml").write_text(CHANGED)
    return tmp_path


def run(workspace: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(workspace), "diff", *args])
    return result.exit_code, result.stdout, result.stderr


def test_text_report_names_changes_and_consequences(workspace: Path) -> None:
    code, out, _ = run(workspace, "journeys/welcome.yaml", "new.yaml")
    assert code == 0
    assert out.startswith("journey welcome: behaviour changed (plan ")
    assert "  ~ trigger.event: signed_up -> registered" in out
    assert (
        "  ~ changed pause (wait)\n      next: reminder -> thanks\n      duration: 2d -> 3d" in out
    )
    assert "  + added   thanks (send)" in out
    assert "  - removed reminder (send)" in out
    assert "  - Contacts at reminder exit with step_removed." in out
    assert "  - trigger.event applies to new entrants only." in out


def test_markdown_is_ready_for_a_pull_request(workspace: Path) -> None:
    code, out, _ = run(workspace, "journeys/welcome.yaml", "new.yaml", "--format", "markdown")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "### Journey `welcome`: behaviour changed"
    assert lines[2:4] == ["| | old | new |", "| --- | --- | --- |"]
    assert "| on_change | migrate | migrate |" in lines
    assert "**Steps:** 1 added, 1 removed, 1 changed. **Journey rules changed:** 1." in lines
    assert "- **removed** `reminder` (send)" in lines
    assert "  - `duration`: `2d` → `3d`" in lines
    assert "#### Contacts in flight" in lines
    assert "- Contacts at `reminder` exit with `step_removed`." in lines


def test_json_report(workspace: Path) -> None:
    code, out, _ = run(workspace, "journeys/welcome.yaml", "new.yaml", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["behaviour_changed"] is True
    assert data["old"]["plan_hash"] != data["new"]["plan_hash"]
    assert [(s["id"], s["change"]) for s in data["steps"]] == [
        ("pause", "changed"),
        ("thanks", "added"),
        ("reminder", "removed"),
    ]
    assert {
        "field": "duration",
        "old": {"calendar_days": 2, "seconds": 0},
        "new": {"calendar_days": 3, "seconds": 0},
    } in data["steps"][0]["fields"]


def test_same_file_is_no_change_and_exit_0(workspace: Path) -> None:
    code, out, _ = run(workspace, "journeys/welcome.yaml", "journeys/welcome.yaml")
    assert code == 0
    assert "same behaviour" in out and "no differences" in out


def test_invalid_version_exits_1_with_diagnostics(workspace: Path) -> None:
    (workspace / "bad.yaml").write_text(JOURNEY.replace("wait: 2d", "wiat: 2d"))
    code, out, err = run(workspace, "journeys/welcome.yaml", "bad.yaml")
    assert code == 1 and out == ""
    assert "bad.yaml:11:5: error unknown-key" in err


def test_missing_file_is_a_usage_error(workspace: Path) -> None:
    code, _, err = run(workspace, "journeys/welcome.yaml", "nope.yaml")
    assert code == 2 and "no such file: nope.yaml" in err


def test_old_version_from_git(workspace: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed for journey diff git:REV:PATH")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=workspace, check=True)
    subprocess.run([*git, "add", "journeys"], cwd=workspace, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "v1"], cwd=workspace, check=True)
    (workspace / "journeys" / "welcome.yaml").write_text(CHANGED)
    code, out, err = run(workspace, "git:HEAD:journeys/welcome.yaml", "journeys/welcome.yaml")
    assert code == 0, err
    assert "  old: git:HEAD:journeys/welcome.yaml" in out
    assert "  - removed reminder (send)" in out
    short = run(workspace, "git:HEAD", "journeys/welcome.yaml")
    assert short[1] == out  # git:REV alone means NEW's path at REV
    code, _, err = run(workspace, "git:no-such-rev:journeys/welcome.yaml", "journeys/welcome.yaml")
    assert code == 2 and "git show" in err

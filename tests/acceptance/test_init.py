"""A new user makes a workspace with one command and it validates, tests and runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from journey.scaffold import modeline_for

ROOT = Path(__file__).resolve().parents[2]


def journey(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("JOURNEY_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "journey", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_init_then_validate_test_and_run_once_in_an_empty_folder(tmp_path: Path) -> None:
    made = journey(tmp_path, "init")
    assert made.returncode == 0, made.stderr
    validated = journey(tmp_path, "validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "no problems" in validated.stdout
    tested = journey(tmp_path, "test")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 passed, 0 failed" in tested.stdout
    (tmp_path / "contacts.jsonl").write_text(
        json.dumps(
            {"id": "c1", "email": "a@example.com", "locale": "sv", "consent": {"email": True}}
        )
        + "\n"
    )
    (tmp_path / "events.jsonl").write_text(
        json.dumps({"name": "signed_up", "contact_id": "c1", "properties": {"plan": "trial"}})
        + "\n"
    )
    assert journey(tmp_path, "contacts", "import", "contacts.jsonl").returncode == 0
    assert journey(tmp_path, "ingest", "events.jsonl").returncode == 0
    ran = journey(tmp_path, "run", "--once")
    assert ran.returncode == 0, ran.stderr
    (sent,) = [json.loads(line) for line in (tmp_path / ".journey" / "outbox.jsonl").open()]
    assert sent["subject"] == "Välkommen ombord" and sent["to"] == "a@example.com"


def test_the_state_folder_is_ignored_by_git(tmp_path: Path) -> None:
    assert journey(tmp_path, "init").returncode == 0
    assert journey(tmp_path, "run", "--once").returncode == 0
    assert (tmp_path / ".journey" / "state.db").is_file()
    if shutil.which("git") is None:  # the ignore rules are still checked below
        ignored = (tmp_path / ".gitignore").read_text()
        assert ".journey/" in ignored.splitlines()
        return
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, timeout=30)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True, timeout=30)
    listed = subprocess.run(
        ["git", "ls-files"], cwd=tmp_path, capture_output=True, text=True, check=True, timeout=30
    ).stdout.splitlines()
    assert "journeys/welcome.yaml" in listed
    assert not [name for name in listed if name.startswith(".journey/") or "state.db" in name]


def test_every_modeline_resolves_to_a_schema_in_the_workspace(tmp_path: Path) -> None:
    assert journey(tmp_path, "init", "ws").returncode == 0
    workspace = tmp_path / "ws"
    files = [p for p in workspace.rglob("*.yaml") if not p.is_relative_to(workspace / ".github")]
    modelines = 0
    for file in files:
        first = file.read_text(encoding="utf-8").splitlines()[0]
        found = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        if file.name == ".pre-commit-config.yaml":
            continue
        assert found, f"{file} has no modeline"
        target = (file.parent / found[1]).resolve()
        assert target.is_file(), f"{file}: {found[1]} does not resolve"
        json.loads(target.read_text(encoding="utf-8"))
        modelines += 1
    assert modelines == 3


def test_modelines_climb_as_deep_as_the_file_is() -> None:
    assert modeline_for("workspace.yaml", "workspace").endswith("=schema/workspace.schema.json")
    assert modeline_for("journeys/a.yaml", "journey").endswith("=../schema/journey.schema.json")
    assert modeline_for("journeys/examples/a.yaml", "journey").endswith(
        "=../../schema/journey.schema.json"
    )


def test_ci_and_pre_commit_run_validate_and_test(tmp_path: Path) -> None:
    assert journey(tmp_path, "init").returncode == 0
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "journeys.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["check"]["steps"]]
    assert "journey validate --format github" in runs and "journey test" in runs
    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    entries = [hook["entry"] for repo in hooks["repos"] for hook in repo["hooks"]]
    assert entries == ["journey validate", "journey test"]


def test_a_non_empty_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    refused = journey(tmp_path, "init")
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "workspace.yaml").exists()
    forced = journey(tmp_path, "init", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "workspace.yaml").is_file()


def test_a_file_in_the_way_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ws").write_text("x")
    done = journey(tmp_path, "init", "ws")
    assert done.returncode == 2 and "is a file" in done.stderr
    assert "Traceback" not in done.stderr

"""A journey team adds our hooks to its repository and runs them with the real pre-commit.

The team's `.pre-commit-config.yaml` names this project's repository and a rev,
as the docs show; pre-commit installs the project from that rev into its own
virtualenv (built once for the module, as a team's cache keeps it) and runs every
hook in `.pre-commit-hooks.yaml` on a workspace: clean, then broken three ways.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HOOKS = [hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())]


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One hook environment for the module: pre-commit builds it on first use (~1 min)."""
    yield tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout as it is now (uncommitted changes included), committed at one rev."""
    repo = tmp_path_factory.mktemp("hooks-repo") / "journey"
    ignored = shutil.ignore_patterns(".git", "*.egg-info", "__pycache__", ".journey", "state.db*")
    shutil.copytree(ROOT, repo, ignore=ignored)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "hooks")
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()
    return repo, rev


@pytest.fixture()
def team_repo(tmp_path: Path, hooks_repo: tuple[Path, str]) -> Path:
    repo = tmp_path / "team"
    repo.mkdir()
    shutil.copy(ROOT / "workspace.yaml", repo / "workspace.yaml")
    for name in ("journeys", "templates", "locales", "schema"):
        shutil.copytree(ROOT / name, repo / name)
    source, rev = hooks_repo
    config = {"repos": [{"repo": str(source), "rev": rev, "hooks": [{"id": h} for h in HOOKS]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    _git(repo, "init", "-q")
    return repo


def run_hooks(repo: Path, home: Path) -> tuple[dict[str, str], str]:
    """hook id -> Passed | Failed | Skipped, and the whole output."""
    _git(repo, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PYTHONPATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color=never"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    output = done.stdout + done.stderr
    outcomes = {}
    for line in output.splitlines():
        for hook_name, hook_id in _names().items():
            if line.startswith(hook_name + "..."):
                outcomes[hook_id] = line.rsplit(".", 1)[-1].strip().split()[0]
    assert done.returncode == (1 if "Failed" in outcomes.values() else 0), output
    return outcomes, output


def test_every_hook_passes_on_a_clean_workspace(team_repo: Path, pre_commit_home: Path) -> None:
    outcomes, output = run_hooks(team_repo, pre_commit_home)
    assert outcomes == dict.fromkeys(HOOKS, "Passed"), output


def test_each_hook_catches_its_own_kind_of_mistake(team_repo: Path, pre_commit_home: Path) -> None:
    journey = team_repo / "journeys" / "examples" / "onboarding.yaml"
    typo = journey.read_text().replace("- id: welcome", "- id: welcome\n    wiat: 2d", 1)
    journey.write_text(typo)
    outcomes, output = run_hooks(team_repo, pre_commit_home)
    assert outcomes["journey-validate"] == "Failed", output
    assert "journeys/examples/onboarding.yaml:" in output and "unknown-key" in output

    shutil.copy(ROOT / "journeys" / "examples" / "onboarding.yaml", journey)
    case = team_repo / "journeys" / "examples" / "referral.test.yaml"
    later = case.read_text().replace("2026-10-31T10:00:00-04:00", "2026-10-31T11:00:00-04:00")
    case.write_text(later)
    outcomes, output = run_hooks(team_repo, pre_commit_home)
    assert (outcomes["journey-validate"], outcomes["journey-test"]) == ("Passed", "Failed"), output

    shutil.copy(ROOT / "journeys" / "examples" / "referral.test.yaml", case)
    catalog = team_repo / "locales" / "sv" / "LC_MESSAGES" / "messages.po"
    catalog.write_text(
        catalog.read_text().replace('msgstr "Låt oss hjälpa dig att brygga"', 'msgstr ""')
    )
    outcomes, output = run_hooks(team_repo, pre_commit_home)
    assert outcomes["journey-i18n-check"] == "Failed", output
    assert "Let us help you brew" in output or "sv" in output


def _names() -> dict[str, str]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return {hook["name"]: hook["id"] for hook in hooks}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

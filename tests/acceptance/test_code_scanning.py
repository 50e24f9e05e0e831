"""A team wires `journey validate` into GitHub: SARIF for code scanning, annotations, step summary.

Findings must be placed by their path from the repository's root, whatever folder
the CI step runs in, and no finding is lost to GitHub's annotation limit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from journey.diagnostic_rules import main as rules_main
from journey.diagnostic_rules import parse_catalogue

ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif" / "sarif-2.1.0-rtm.5.json"

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


@pytest.fixture()
def repository(tmp_path: Path) -> Path:
    """A git repository whose journeys workspace lives in `marketing/`, not at the root."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    workspace = tmp_path / "marketing"
    workspace.mkdir()
    shutil.copy(ROOT / "workspace.yaml", workspace / "workspace.yaml")
    for name in ("templates", "locales"):
        shutil.copytree(ROOT / name, workspace / name)
    (workspace / "journeys").mkdir()
    (workspace / "journeys" / "broken.yaml").write_text(BROKEN)
    return tmp_path


def validate(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    environment.update(env or {})
    done = subprocess.run(
        ["journey", "validate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout


def test_sarif_is_valid_against_the_official_schema(repository: Path) -> None:
    code, output = validate(repository / "marketing", "--format", "sarif")
    log = json.loads(output)
    schema = json.loads(SARIF_SCHEMA.read_text("utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    assert code == 1
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"unknown-step-target", "unknown-key"}


def test_sarif_paths_are_from_the_repository_root_wherever_it_runs(repository: Path) -> None:
    for cwd in (repository, repository / "marketing", repository / "marketing" / "journeys"):
        _, output = validate(cwd, "--format", "sarif", str(_journeys_from(cwd, repository)))
        run = json.loads(output)["runs"][0]
        uris = {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
        }
        assert uris == {"marketing/journeys/broken.yaml"}, cwd
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repository.resolve().as_uri() + "/"


def test_sarif_rules_carry_the_catalogue_text(repository: Path) -> None:
    _, output = validate(repository / "marketing", "--format", "sarif")
    driver = json.loads(output)["runs"][0]["tool"]["driver"]
    catalogue = parse_catalogue((ROOT / "docs" / "diagnostics.md").read_text("utf-8"))
    by_id = {rule["id"]: rule for rule in driver["rules"]}
    target = by_id["unknown-step-target"]
    assert target["defaultConfiguration"]["level"] == catalogue["unknown-step-target"].severity
    assert target["shortDescription"]["text"].startswith("A next, goto, else or on_timeout")
    assert catalogue["unknown-step-target"].fix in target["help"]["markdown"]
    results = json.loads(output)["runs"][0]["results"]
    assert all(driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in results)


def test_github_annotations_are_placed_from_the_repository_root(repository: Path) -> None:
    _, output = validate(repository / "marketing" / "journeys", "--format", "github", ".")
    files = {line.split("file=", 1)[1].split(",", 1)[0] for line in output.splitlines()}
    assert files == {"marketing/journeys/broken.yaml"}


def test_problems_past_the_annotation_limit_go_to_the_step_summary(repository: Path) -> None:
    journeys = repository / "marketing" / "journeys"
    for n in range(12):  # 12 files with several errors each: more than GitHub's 10
        (journeys / f"broken{n:02}.yaml").write_text(BROKEN.replace("broken-one", f"broken-{n}"))
    (journeys / "broken.yaml").unlink()
    summary = repository / "summary.md"
    code, output = validate(
        repository / "marketing",
        "--format",
        "github",
        env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(repository)},
    )
    assert code == 1
    errors = sum(line.startswith("::error ") for line in output.splitlines())
    assert errors >= 24  # every problem is still printed as an annotation
    text = summary.read_text("utf-8")
    assert f"{errors - 10} more problems" in text
    rows = [line for line in text.splitlines() if line.startswith("| `marketing/journeys/")]
    assert len(rows) == errors - 10
    assert rows[-1].startswith("| `marketing/journeys/broken11.yaml:")


def test_no_step_summary_when_everything_fits(repository: Path) -> None:
    summary = repository / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    validate(repository / "marketing", "--format", "github", env=env)
    assert not summary.exists()


def test_shipped_rule_catalogue_matches_docs() -> None:
    assert rules_main(["--check"]) == 0, "run `python -m journey.diagnostic_rules`"


def _journeys_from(cwd: Path, repository: Path) -> Path:
    return Path(os.path.relpath(repository / "marketing" / "journeys", cwd))

"""A team uses our composite GitHub Action on a pull request; its steps run here as a runner would.

Each `run:` step of action.yml is executed with bash the way GitHub runs a
composite step (`bash -eo pipefail`), its `${{ }}` inputs filled from the
defaults, in a real git repository with a base branch and a pull-request
branch; the comment goes to a real HTTP server on 127.0.0.1 standing in for the
GitHub API.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.http_server import HttpTestServer, Reply, running_http_server

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*([a-z_.-]+)\s*\}\}")


@pytest.fixture()
def pull_request(tmp_path: Path) -> Path:
    """main has the examples; the branch gives onboarding's goal a week more and adds a journey."""
    repo = tmp_path / "journeys-repo"
    repo.mkdir()
    shutil.copy(ROOT / "workspace.yaml", repo / "workspace.yaml")
    for name in ("journeys", "templates", "locales", "schema"):
        shutil.copytree(ROOT / name, repo / name)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(repo, "checkout", "-q", "-b", "longer-goal-window")
    onboarding = repo / "journeys" / "examples" / "onboarding.yaml"
    text = onboarding.read_text("utf-8")
    assert "within: 21d" in text
    onboarding.write_text(text.replace("within: 21d", "within: 28d", 1), "utf-8")
    referral = (repo / "journeys" / "examples" / "referral.yaml").read_text("utf-8")
    new = referral.replace("id: referral-program", "id: referral-program-b", 1)
    (repo / "journeys" / "examples" / "referral_b.yaml").write_text(new, "utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "longer goal window")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    return repo


@pytest.fixture(scope="module")
def runner_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner's Python: a fresh virtualenv that the action's install step installs into.

    It sees the suite's site-packages, so the dependencies are already there and the
    install step only builds and installs this checkout.
    """
    venv = tmp_path_factory.mktemp("runner") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    return venv / "bin"


def run_action(repo: Path, api: HttpTestServer, runner_bin: Path) -> dict[str, str]:
    """Run every `run:` step; returns the step outputs written to $GITHUB_OUTPUT."""
    temp = repo.parent / "runner-temp"
    temp.mkdir(exist_ok=True)
    github = {
        "PATH": f"{runner_bin}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": "",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(repo.parent / "event.json"),
        "GITHUB_API_URL": api.url,
        "GITHUB_REPOSITORY": "fika/journeys",
        "GITHUB_OUTPUT": str(temp / "output"),
        "GITHUB_STEP_SUMMARY": str(temp / "summary.md"),
        "RUNNER_TEMP": str(temp),
    }
    context = {"github.base_ref": "main", "github.token": "ghs_test", "github.event_name": ""}
    for name, spec in ACTION["inputs"].items():
        context[f"inputs.{name}"] = _fill(str(spec.get("default", "")), context)
    for step in ACTION["runs"]["steps"]:
        if "run" not in step:
            continue
        env = {**os.environ, **github}
        env.update({k: _fill(str(v), context) for k, v in step.get("env", {}).items()})
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{step['name']}:\n{done.stdout}\n{done.stderr}"
    lines = (temp / "output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_pull_request_gets_one_comment_with_the_diff(
    pull_request: Path, runner_python: Path
) -> None:
    with running_http_server() as api:
        api.reply_next(Reply(body=b"[]"), Reply(status=201, body=_comment(1, "x")))
        outputs = run_action(pull_request, api, runner_python)
    assert outputs["changed"] == "2"
    installed = subprocess.run(
        [runner_python / "python", "-m", "pip", "show", "journey"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
    ).stdout
    assert "Location: " + str(runner_python.parent) in installed  # the action's own install
    get, post = api.requests
    assert (get.method, get.path) == ("GET", "/repos/fika/journeys/issues/7/comments?per_page=100")
    assert (post.method, post.path) == ("POST", "/repos/fika/journeys/issues/7/comments")
    assert post.header("Authorization") == "Bearer ghs_test"
    body = post.json()["body"]
    assert body.startswith("<!-- journey-diff -->")
    assert "### Journey `onboarding-welcome`: behaviour changed" in body
    assert "`journeys/examples/referral_b.yaml`: new journey" in body
    assert "referral.test.yaml" not in body


def test_a_later_push_updates_the_same_comment(pull_request: Path, runner_python: Path) -> None:
    with running_http_server() as api:
        old = _comment(41, "<!-- journey-diff -->\nold", url=f"{api.url}/comments/41")
        api.reply_next(Reply(body=b"[" + old + b"]"), Reply(body=old))
        run_action(pull_request, api, runner_python)
    get, patch = api.requests
    assert get.method == "GET"
    assert (patch.method, patch.path) == ("PATCH", "/comments/41")
    assert "behaviour changed" in patch.json()["body"]


def test_pull_request_steps_only_run_on_pull_requests() -> None:
    steps = {step.get("name", step.get("uses")): step for step in ACTION["runs"]["steps"]}
    for name in ("journey diff", "Comment on the pull request"):
        assert "github.event_name == 'pull_request'" in steps[name]["if"]
    for name in ("journey validate", "journey test"):
        assert "if" not in steps[name]
    # inputs reach scripts through env only: a crafted input cannot inject shell
    assert all("${{" not in step.get("run", "") for step in ACTION["runs"]["steps"])


def _comment(number: int, body: str, *, url: str = "http://127.0.0.1/c") -> bytes:
    data: dict[str, Any] = {"id": number, "body": body, "url": url, "html_url": url}
    return json.dumps(data).encode()


def _fill(text: str, context: dict[str, str]) -> str:
    return EXPRESSION.sub(lambda m: context[m[1]], text)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

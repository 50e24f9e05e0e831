"""`journey status`: per journey and step, read from the store, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journey.cli.main import main
from tests.daemon.crash_harness import seed
from tests.daemon.workspace_factory import make_workspace


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return int(exit_info.value.code or 0), capsys.readouterr().out


@pytest.fixture()
def after_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = make_workspace(tmp_path / "ws", wait="0s")
    seed(root, 5)
    code, _ = run(capsys, "--workspace", str(root), "run", "--once", "--log-format", "json")
    assert code == 0
    return root


def test_status_json_counts_every_step_and_exit(
    after_a_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "--workspace", str(after_a_run), "status", "--format", "json")
    assert code == 0
    (journey,) = json.loads(out)["journeys"]
    assert journey["journey_id"] == "welcome-test"
    assert journey["entered"] == 5
    assert journey["exited"] == {"completed": 5}
    assert journey["deliveries"] == {"sent": 10}
    steps = {step["step"]: step for step in journey["steps"]}
    assert list(steps) == ["welcome", "pause", "followup"]
    assert steps["welcome"]["entered"] == 5 and steps["welcome"]["sent"] == 5
    assert steps["followup"]["dead_lettered"] == 0
    assert steps["followup"]["exited"] == {}  # completed: counted for the journey, at its end


def test_status_table_shows_removed_journeys_too(
    after_a_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (after_a_run / "journeys" / "welcome-test.yaml").unlink()
    code, out = run(capsys, "--workspace", str(after_a_run), "status")
    assert code == 0
    assert out.splitlines()[0].startswith("welcome-test  [removed]  entered 5")
    assert "exited:     completed 5" in out
    assert "welcome   5        0        5" in out


def test_status_before_any_run_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_workspace(tmp_path / "ws")
    code, out = run(capsys, "--workspace", str(root), "status")
    assert code == 0
    assert out.startswith("no state yet")

"""`journey run` as an operator and a newcomer use it: --once, --demo, start-up failures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from journey.channels import read_outbox
from journey.cli.main import main
from journey.daemon.lock import DaemonLock
from tests.daemon.crash_harness import seed
from tests.daemon.workspace_factory import make_workspace

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def test_run_once_processes_what_is_due_and_logs_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_workspace(tmp_path / "ws")
    seed(root, 4)
    code, _, err = run(capsys, "--workspace", str(root), "run", "--once", "--log-format", "json")
    assert code == 0
    lines = [json.loads(line) for line in err.splitlines()]
    kinds = [line["event"] for line in lines]
    assert kinds.count("enrolled") == 4
    assert kinds.count("sent") == 4
    assert kinds[0] == "reload" and kinds[-1] == "stopped"
    assert all("ts" in line for line in lines)
    assert len(list(read_outbox(root / "outbox.jsonl"))) == 4


def test_a_second_daemon_is_refused_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_workspace(tmp_path / "ws")
    with DaemonLock(root / "state.db"):
        code, _, err = run(capsys, "--workspace", str(root), "run", "--once")
    assert code == 2
    assert err.startswith("journey: error: another journey daemon")


def test_a_broken_workspace_file_stops_the_start_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_workspace(tmp_path / "ws")
    (root / "workspace.yaml").write_text("default_timezone: Mars/Olympus\n")
    code, _, err = run(capsys, "--workspace", str(root), "run", "--once")
    assert code == 2
    assert "workspace.yaml has errors" in err
    assert "Traceback" not in err


def test_demo_runs_the_example_journeys_and_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("journeys", "templates", "locales"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "workspace.yaml", tmp_path / "workspace.yaml")
    code, out, _ = run(capsys, "--workspace", str(tmp_path), "run", "--demo", "--days", "4")
    assert code == 0
    assert "journey run --demo: 4 simulated days" in out
    assert "onboarding-welcome" in out and "welcome" in out
    assert "[sv] " in out and "[zh_Hans] " in out and "[en] " in out
    outbox = tmp_path / ".journey" / "demo" / "outbox.jsonl"
    records = list(read_outbox(outbox))
    assert records and str(outbox) in out
    assert {r["locale"] for r in records if r["kind"] == "message"} >= {"en", "sv", "zh_Hans"}
    # Repeatable: a second run starts from a fresh database and outbox.
    code, again, _ = run(capsys, "--workspace", str(tmp_path), "run", "--demo", "--days", "4")
    assert code == 0
    assert len(list(read_outbox(outbox))) == len(records)
    assert again.splitlines()[1] == out.splitlines()[1]

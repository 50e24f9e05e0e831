"""`journey simulate --jobs N`: a big population on several cores, the same report as on one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from journey.cli.main import cli
from journey.partitioned_simulation import part_of
from tests.support.simulated_population import write_population

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "journeys" / "examples"
JOURNEYS = sorted(p.stem for p in EXAMPLES.glob("*.yaml") if not p.name.endswith(".test.yaml"))
START = "2026-03-02T07:00:00Z"


def simulate(journey: Path, *args: str) -> tuple[int, str, str]:
    window = ["--start", START, "--for", "30d"]
    result = CliRunner().invoke(
        cli, ["--workspace", str(ROOT), "simulate", str(journey), *window, *args]
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_population(tmp_path_factory.mktemp("population"), 240)


@pytest.mark.parametrize("journey", JOURNEYS)
def test_each_example_reports_the_same_on_two_jobs_as_on_one(
    journey: str, population: tuple[Path, Path]
) -> None:
    contacts, events = population
    files = ["--contacts", str(contacts), "--events", str(events), "--format", "json"]
    code, one, _ = simulate(EXAMPLES / f"{journey}.yaml", *files)
    assert code == 0
    code, two, err = simulate(EXAMPLES / f"{journey}.yaml", *files, "--jobs", "2")
    assert code == 0
    assert "runs as one job" not in err
    assert json.loads(two) == json.loads(one)
    assert two == one  # byte for byte: the same keys in the same order


def test_entering_everyone_on_two_jobs_keeps_the_timeline_and_rendered_contacts(
    population: tuple[Path, Path],
) -> None:
    contacts, _ = population
    records = [json.loads(line) for line in contacts.read_text(encoding="utf-8").splitlines()]
    shown = next(r["id"] for r in reversed(records) if r["plan"] == "trial")  # one who enters
    files = ["--contacts", str(contacts), "--enter-all", "--timeline-contacts", "20"]
    files += ["--show", shown]
    for fmt in ("table", "json"):
        code, one, _ = simulate(EXAMPLES / "onboarding.yaml", *files, "--format", fmt)
        assert code == 0
        code, two, _ = simulate(
            EXAMPLES / "onboarding.yaml", *files, "--format", fmt, "--jobs", "2"
        )
        assert two == one
    report = json.loads(one)
    assert report["timeline_contacts"] == 21
    assert shown in {row["contact"] for row in report["timeline"]}
    assert report["rendered_contacts"] == 200


def test_jobs_auto_takes_one_process_per_core(population: tuple[Path, Path]) -> None:
    contacts, events = population
    files = ["--contacts", str(contacts), "--events", str(events), "--format", "json"]
    code, auto, err = simulate(EXAMPLES / "loyalty.yaml", *files, "--jobs", "auto")
    assert code == 0, err
    assert auto == simulate(EXAMPLES / "loyalty.yaml", *files)[1]


def test_a_split_that_picks_its_winner_runs_as_one_job_and_says_why(
    tmp_path: Path, population: tuple[Path, Path]
) -> None:
    source = (EXAMPLES / "engagement.yaml").read_text(encoding="utf-8")
    arms = "      - { weight: 50, goto: digest-for-you, name: picked_for_you }\n"
    assert arms in source
    journey = tmp_path / "engagement.yaml"
    journey.write_text(
        source.replace(arms, arms + "    auto_winner: { metric: clicked, after: 14d }\n"),
        encoding="utf-8",
    )
    contacts, events = population
    files = ["--contacts", str(contacts), "--events", str(events), "--format", "json"]
    code, two, err = simulate(journey, *files, "--jobs", "2")
    assert code == 0, err
    (note,) = [line for line in err.splitlines() if "runs as one job" in line]
    assert "--jobs 2" in note and "`digest-test`" in note and "auto_winner" in note
    assert two == simulate(journey, *files)[1]


def test_an_event_id_given_to_contacts_of_two_parts_runs_as_one_job(
    tmp_path: Path, population: tuple[Path, Path]
) -> None:
    contacts, _ = population
    first = "c0"
    other = next(f"c{n}" for n in range(1, 240) if part_of(f"c{n}", 2) != part_of(first, 2))
    events = tmp_path / "events.jsonl"
    events.write_text(
        "".join(
            json.dumps(
                {"id": "same", "name": "order_placed", "contact_id": who,
                 "timestamp": "2026-03-03T10:00:00Z", "properties": {"total": 9, "currency": "SEK"}}
            ) + "\n"
            for who in (first, other)
        ),
        encoding="utf-8",
    )  # fmt: skip
    files = ["--contacts", str(contacts), "--events", str(events), "--format", "json"]
    code, two, err = simulate(EXAMPLES / "loyalty.yaml", *files, "--jobs", "2")
    assert code == 0
    assert "runs as one job: the event id `same`" in err
    assert two == simulate(EXAMPLES / "loyalty.yaml", *files)[1]
    assert json.loads(two)["entered"] == 1  # one store keeps the first event with that id


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_bad_jobs_value_is_a_clear_error(value: str, population: tuple[Path, Path]) -> None:
    contacts, _ = population
    code, _, err = simulate(
        EXAMPLES / "onboarding.yaml", "--contacts", str(contacts), "--enter-all", "--jobs", value
    )
    assert code == 2
    assert "Invalid value for '--jobs'" in err and "whole number" in err and "auto" in err


def test_a_bad_contact_line_is_named_by_its_line_in_the_input(tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.jsonl"
    lines = [json.dumps({"id": f"c{n}", "consent": {"email": True}}) for n in range(40)]
    lines[22] = json.dumps({"id": "c22", "consent": "yes"})
    lines[31] = json.dumps({"id": "c31", "consent": "no"})
    contacts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["--contacts", str(contacts), "--enter-all"]
    for jobs in ("1", "2", "3"):
        code, _, err = simulate(EXAMPLES / "loyalty.yaml", *args, "--jobs", jobs)
        assert code == 2
        assert "contacts.jsonl:23: `consent`" in err and "Traceback" not in err


# ------------------------------------------------------------ the parts' processes


def _start(tmp_path: Path) -> subprocess.Popen[bytes]:
    contacts, _ = write_population(tmp_path, 3000)
    command = [sys.executable, "-m", "journey", "--workspace", str(ROOT), "simulate",
               str(EXAMPLES / "onboarding.yaml"), "--contacts", str(contacts), "--enter-all",
               "--jobs", "2"]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )


def _parts(parent: int) -> list[int]:
    """The part processes of `parent` (not multiprocessing's resource tracker)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if (
            int(stat[1]) == parent
            and b"spawn_main" in command
            and b"resource_tracker" not in command
        ):
            found.append(int(entry))
    return found


def _wait_for_parts(process: subprocess.Popen[bytes]) -> list[int]:
    for _ in range(600):
        if len(parts := _parts(process.pid)) == 2:
            return parts
        time.sleep(0.05)
    raise AssertionError("the two parts never started")


def test_a_part_killed_stops_the_run_with_an_error_not_a_hang(tmp_path: Path) -> None:
    process = _start(tmp_path)
    first, second = _wait_for_parts(process)
    os.kill(first, signal.SIGKILL)
    _, err = process.communicate(timeout=120)
    text = err.decode()
    assert process.returncode == 2
    assert "failed: its process stopped (exit code -9)" in text
    assert "Traceback" not in text
    assert not Path(f"/proc/{second}").exists() or "Z" in _state(second)  # stopped too


def test_ctrl_c_stops_every_part_and_exits_130(tmp_path: Path) -> None:
    process = _start(tmp_path)
    parts = _wait_for_parts(process)
    os.killpg(process.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
    _, err = process.communicate(timeout=120)
    text = err.decode()
    assert process.returncode == 130
    assert "interrupted; its 2 processes were stopped" in text
    assert "Traceback" not in text
    assert all(not Path(f"/proc/{pid}").exists() or "Z" in _state(pid) for pid in parts)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_a_sample_forecast_runs_as_one_job_and_says_so(population: tuple[Path, Path]) -> None:
    contacts, _ = population
    args = ["--contacts", str(contacts), "--enter-all", "--sample", "40", "--format", "json"]
    code, two, err = simulate(EXAMPLES / "onboarding.yaml", *args, "--jobs", "2")
    assert code == 0
    assert "--jobs 2 runs as one job: --sample runs one small simulation" in err
    assert two == simulate(EXAMPLES / "onboarding.yaml", *args)[1]

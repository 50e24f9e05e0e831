"""`journey report` after `journey run --demo`: per step, per arm and holdout, with intervals."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from journey.api import open_workspace
from journey.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    for name in ("journeys", "templates", "locales"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "workspace.yaml", root / "workspace.yaml")
    with pytest.raises(SystemExit) as exit_info:
        main(["--workspace", str(root), "run", "--demo", "--days", "21"])
    assert exit_info.value.code in (0, None)
    return root


def report(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    database = str(root / ".journey" / "demo.db")
    return run(capsys, "--workspace", str(root), "report", "--database", database, *args)


def test_json_carries_journeys_splits_arms_tests_and_steps(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = report(capsys, demo, "--format", "json")
    assert code == 0
    journeys = {j["id"]: j for j in json.loads(out)["journeys"]}
    assert {"onboarding-welcome", "engagement-weekly-grind", "reactivation-winback"} <= set(
        journeys
    )
    for journey in journeys.values():
        assert {"id", "entered", "converted", "splits", "steps", "revenue"} <= set(journey)
        for step in journey["steps"]:
            assert {"step", "sent", "opened", "clicked"} <= set(step)
            assert step["opened"] == step["clicked"] == 0
        for split in journey["splits"]:
            assert split["step"] and {"method", "p_value"} <= set(split["test"])
            for arm in split["arms"]:
                assert {"name", "entered", "converted"} <= set(arm)
                low, high = arm["interval"]
                assert 0 <= low <= high <= 1
    winback = journeys["reactivation-winback"]
    holdout = next(s for s in winback["splits"] if s["step"] == "holdout")
    arms = {arm["name"]: arm for arm in holdout["arms"]}
    assert arms["holdout"]["holdout"] and arms["holdout"]["sent"] == 0
    assert arms["holdout"]["entered"] + arms["treatment"]["entered"] == winback["entered"]
    assert winback["holdout"]["interval"][0] < winback["holdout"]["interval"][1]
    assert holdout["test"]["method"] in ("fisher_exact", "two_proportion_z")
    engagement = journeys["engagement-weekly-grind"]
    steps = {s["step"]: s for s in engagement["steps"]}
    digest = next(s for s in engagement["splits"] if s["step"] == "digest-test")
    sent = sum(arm["sent"] for arm in digest["arms"])
    assert sent >= steps["digest-classic"]["sent"] + steps["digest-for-you"]["sent"]
    assert all(set(amounts) <= {"SEK", "CNY", "USD"} for amounts in [winback["revenue"]])


def test_json_carries_churn_retention_and_lifetime_value_from_the_workspace_rules(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = report(capsys, demo, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["churn_rule"] == "inactive after 30d with no order_placed, session_started"
    winback = next(j for j in data["journeys"] if j["id"] == "reactivation-winback")
    churn = winback["churn"]
    assert churn["period"] == data["period"] and 0 <= churn["churned"] <= churn["contacts"]
    assert winback["weeks_in"] == "Europe/Stockholm"
    assert winback["retention"] and all(
        0 <= share <= 1 for row in winback["retention"] for share in row["active_by_week"]
    )
    value = winback["lifetime_value"]
    assert value["days"] == 14 and value["contacts"] + value["not_yet"] == churn["contacts"]
    assert value["contacts"] > 0 and set(value["per_contact"]) <= {"SEK", "CNY", "USD"}
    assert all("churn" in stage for stage in data["stages"])


def test_the_table_shows_steps_arms_the_holdout_uplift_and_a_decision(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = report(capsys, demo, "reactivation-winback")
    assert code == 0
    assert out.startswith("reactivation-winback  We miss you")
    assert "uplift over the holdout (split `holdout`)" in out
    assert "95% interval" in out and "holdout (holdout)" in out
    assert "decision: " in out and "engagement-weekly-grind" not in out
    assert "churn (no order_placed or session_started for 30d;" in out
    assert "lifetime value: " in out and "weeks in Europe/Stockholm" in out


def test_csv_has_a_row_per_journey_step_and_arm(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = report(capsys, demo, "--format", "csv", "reactivation-winback")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    kinds = {row["row"] for row in rows}
    assert kinds == {"journey", "step", "arm", "holdout", "retention", "stage"}
    held = next(row for row in rows if row["row"] == "holdout")
    assert held["arm"] == "holdout" and held["step"] == "holdout"


def test_the_python_api_returns_what_the_json_format_prints(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = open_workspace(demo)
    data = project.report("reactivation-winback", database=demo / ".journey" / "demo.db")
    _, out, _ = report(capsys, demo, "--format", "json", "reactivation-winback")
    assert data == json.loads(out)


def test_since_keeps_only_later_entries(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def entered(*since: str) -> int:
        _, out, _ = report(capsys, demo, "--format", "json", "onboarding-welcome", *since)
        return int(json.loads(out)["journeys"][0]["entered"])

    everything, later = entered(), entered("--since", "2026-03-09")
    assert 0 < later < everything


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("reactivation-winbak",), "no journey `reactivation-winbak`"),
        (("--since", "last tuesday"), "--since `last tuesday` is neither a date"),
        (("--confidence", "1.5"), "--confidence must be"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    demo: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, _, err = report(capsys, demo, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_after_the_demo_alone_report_reads_the_demo_store_and_says_so(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--workspace", str(demo), "report", "reactivation-winback")
    assert code == 0 and "uplift over the holdout" in out
    assert "reporting the demo's store" in err and "demo.db" in err


def test_before_any_run_it_says_there_is_no_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--workspace", str(tmp_path), "report")
    assert code == 0 and out.startswith("no state yet")

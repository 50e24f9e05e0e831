"""`journey test` as a user runs it: runner-style output, summary line, exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from journey.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(ROOT), "test", *args])
    return result.exit_code, result.stdout, result.stderr


def test_every_example_journey_test_passes() -> None:
    code, out, _ = run(str(ROOT / "journeys"))
    assert code == 0, out
    assert out.strip().splitlines()[-1].endswith("passed, 0 failed")
    assert "FAIL" not in out
    journeys = {line.split()[1].rstrip(":") for line in out.splitlines() if line.startswith("PASS")}
    assert {
        "onboarding-welcome",
        "engagement-weekly-grind",
        "churn-prevention",
        "reactivation-winback",
        "referral-program",
        "loyalty-points",
        "loyalty-birthday",
    } <= journeys


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.test.yaml"
    path.write_text(text, encoding="utf-8")
    return path


CASE = """journey: onboarding-welcome
cases:
  - name: welcome in Swedish
    start: 2026-03-27T08:00:00Z
    contact: {{ id: c1, email: a@example.com, locale: sv_SE, timezone: Europe/Stockholm,
               consent: {{ email: true }}, country: SE }}
    events:
      - {{ after: 0s, name: signed_up, properties: {{ plan: trial }} }}
    run_for: 1h
    expect:
      - {{ send: welcome, at: "{at}", locale: sv, subject_contains: "Välkommen" }}
      - {{ in_flight: settle-in }}
"""


def test_a_passing_case_prints_pass_and_exits_0(tmp_path: Path) -> None:
    code, out, _ = run(str(write(tmp_path, CASE.format(at="2026-03-27T09:00:00+01:00"))))
    assert code == 0
    assert out.splitlines() == ["PASS onboarding-welcome: welcome in Swedish", "1 passed, 0 failed"]


def test_a_failing_case_shows_a_diff_and_exits_1(tmp_path: Path) -> None:
    code, out, _ = run(str(write(tmp_path, CASE.format(at="2026-03-27T10:00:00+01:00"))))
    assert code == 1
    assert out.splitlines()[0] == "FAIL onboarding-welcome: welcome in Swedish"
    assert "-send: welcome at 2026-03-27T10:00:00+01:00" in out
    assert "+send: welcome at 2026-03-27T09:00:00+01:00" in out
    assert out.strip().splitlines()[-1] == "0 passed, 1 failed"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "journey: onboarding-welcome\ncases:\n  - name: x\n    start: yesterday\n"
            "    contact: { id: c1 }\n    expect:\n      - { exit: completed }\n",
            ":4:",
        ),
        (
            "journey: onboarding-welcome\ncases:\n  - name: x\n    start: 2026-01-01T00:00:00Z\n"
            "    contact: { id: c1 }\n    expect:\n      - { exit: completed, colour: red }\n",
            ":7:",
        ),
    ],
)
def test_an_invalid_test_file_exits_2_with_its_location(
    tmp_path: Path, text: str, where: str
) -> None:
    path = write(tmp_path, text)
    code, _, err = run(str(path))
    assert code == 2
    assert f"{path}{where}" in err


def test_unknown_journey_makes_the_test_file_invalid(tmp_path: Path) -> None:
    text = CASE.format(at="2026-03-27T09:00:00+01:00").replace(
        "onboarding-welcome", "onboarding-welcom"
    )
    path = write(tmp_path, text)
    code, _, err = run(str(path))
    assert code == 2
    assert f"{path}:1:1: error unknown-journey" in err
    assert "did you mean `onboarding-welcome`?" in err


def test_a_journey_that_does_not_validate_is_not_run(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    shutil.copy(ROOT / "workspace.yaml", tmp_path / "workspace.yaml")
    (tmp_path / "journeys").mkdir()
    journey = (ROOT / "journeys" / "examples" / "onboarding.yaml").read_text(encoding="utf-8")
    broken = journey.replace("template: onboarding/welcome", "template: onboarding/welcom")
    (tmp_path / "journeys" / "onboarding.yaml").write_text(broken, encoding="utf-8")
    path = tmp_path / "journeys" / "case.test.yaml"
    path.write_text(CASE.format(at="2026-03-27T09:00:00+01:00"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--workspace", str(tmp_path), "test", str(path)])
    assert result.exit_code == 1
    assert "does not validate" in result.stdout and "unknown-template" in result.stdout


ARM_CASE = """journey: engagement-weekly-grind
cases:
  - name: a Swedish subscriber reads the classic digest
    start: 2026-03-20T12:00:00Z
    contact: {{ id: c1, email: astrid@example.com, locale: sv_SE, timezone: Europe/Stockholm,
               consent: {{ email: true, push: true }}, plan: monthly, digest_opt_in: true }}
    events:
      - {{ after: -2d, name: session_started }}
    run_for: 4d
    match: subsequence
    expect:
      - {{ send: digest-classic }}
      - {{ split: digest-test, arm: {arm} }}
"""


def test_a_case_asserts_the_arm_a_split_gave_wherever_it_stands_in_expect(
    tmp_path: Path,
) -> None:
    code, out, _ = run(str(write(tmp_path, ARM_CASE.format(arm="classic"))))
    assert (code, out.splitlines()[-1]) == (0, "1 passed, 0 failed")


def test_a_wrong_arm_fails_the_case_and_names_the_arm_given(tmp_path: Path) -> None:
    code, out, _ = run(str(write(tmp_path, ARM_CASE.format(arm="picked_for_you"))))
    assert code == 1
    assert (
        "expected arm 'picked_for_you' at split 'digest-test', but the contact was given 'classic'"
        in out
    )


def test_an_arm_without_its_split_makes_the_file_invalid(tmp_path: Path) -> None:
    path = write(tmp_path, ARM_CASE.format(arm="classic").replace("split: digest-test, ", ""))
    code, _, err = run(str(path))
    assert code == 2 and f"{path}:13:" in err


WINNER_JOURNEY = """id: subject-test
name: Subject test that keeps the winner
kind: onboarding
trigger: { event: signed_up }
reentry: always
goal: { event: order_placed, within: 14d }
steps:
  - id: subject
    split:
      - { weight: 50, goto: brew, name: brew-guide }
      - { weight: 50, goto: grind, name: grind-guide }
    auto_winner: { metric: goal, after: 1d, confidence: 0.95 }
  - id: brew
    send: { channel: email, template: onboarding/brew_guide }
    next: end
  - id: grind
    send: { channel: email, template: onboarding/grind_guide }
"""

WINNER_CASE = """journey: subject-test
cases:
  - name: a day after the first entrant the split decides, and one contact picks no winner
    start: 2026-03-20T12:00:00Z
    contact: { id: c1, email: astrid@example.com, consent: { email: true } }
    events:
      - { after: 0s, name: signed_up }
      - { after: 2d, name: signed_up }
    run_for: 3d
    match: subsequence
    expect:
      - { split: subject, winner: WINNER }
"""


def winner_workspace(tmp_path: Path) -> Path:
    for part in ("templates", "locales"):
        shutil.copytree(ROOT / part, tmp_path / part)
    shutil.copy(ROOT / "workspace.yaml", tmp_path / "workspace.yaml")
    (tmp_path / "journeys").mkdir()
    (tmp_path / "journeys" / "subject.yaml").write_text(WINNER_JOURNEY, encoding="utf-8")
    return tmp_path


def run_winner_case(tmp_path: Path, winner: str) -> tuple[int, str, str]:
    root = winner_workspace(tmp_path)
    path = root / "journeys" / "subject.test.yaml"
    path.write_text(WINNER_CASE.replace("WINNER", winner), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--workspace", str(root), "test", str(path)])
    return result.exit_code, result.stdout, result.stderr


def test_a_case_expects_the_auto_winner_decision_of_a_split(tmp_path: Path) -> None:
    code, out, _ = run_winner_case(tmp_path, "none")
    assert (code, out.splitlines()[-1]) == (0, "1 passed, 0 failed"), out


def test_an_expected_winner_the_split_did_not_pick_fails_and_names_the_decision(
    tmp_path: Path,
) -> None:
    code, out, _ = run_winner_case(tmp_path, "brew-guide")
    assert code == 1
    assert "expected winner 'brew-guide' at split 'subject', but it decided 'none'" in out


def test_a_winner_on_a_split_without_auto_winner_fails_the_case(tmp_path: Path) -> None:
    code, out, _ = run(str(write(tmp_path, ARM_CASE.format(arm="classic x").replace(
        "arm: classic x", "winner: classic"))))  # fmt: skip
    assert code == 1
    assert "at split 'digest-test', but that step is not a split with `auto_winner`" in out


def test_a_split_expectation_needs_an_arm_or_a_winner(tmp_path: Path) -> None:
    path = write(tmp_path, ARM_CASE.format(arm="classic").replace(", arm: classic", ""))
    code, _, err = run(str(path))
    assert code == 2 and f"{path}:13:" in err

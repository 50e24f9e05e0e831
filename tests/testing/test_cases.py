"""Loading *.test.yaml files and comparing what happened with what was expected."""

from __future__ import annotations

from pathlib import Path

from journey.localtime import parse_instant, resolve_zone
from journey.testing.cases import TestFile, load_test_file
from journey.testing.run import Actual, compare

GOOD = """journey: onboarding-welcome
cases:
  - name: one
    start: 2026-03-27T08:00:00Z
    contact: { id: c1 }
    events:
      - { after: -2d, name: viewed }
      - { after: 1d, contact: { plan: paid } }
      - { after: 1d, name: signed_up, id: e1, properties: { plan: trial } }
    match: subsequence
    expect:
      - { send: welcome, at: "2026-03-27T09:00:00+01:00" }
      - { skip: nudge, reason: capped }
      - { exit: completed }
"""


def load(tmp_path: Path, text: str) -> TestFile | list:  # type: ignore[type-arg]
    path = tmp_path / "x.test.yaml"
    path.write_text(text, encoding="utf-8")
    return load_test_file(path)


def test_a_valid_file_loads_with_instants_durations_and_order(tmp_path: Path) -> None:
    loaded = load(tmp_path, GOOD)
    assert isinstance(loaded, TestFile)
    case = loaded.cases[0]
    assert case.start == parse_instant("2026-03-27T08:00:00Z")
    assert [e.is_history for e in case.events] == [True, False, False]
    assert case.events[1].contact == {"plan": "paid"} and case.events[2].event_id == "e1"
    assert case.subsequence and case.run_for.calendar_days == 30
    assert [(e.kind, e.target) for e in case.expect] == [
        ("send", "welcome"),
        ("skip", "nudge"),
        ("exit", "completed"),
    ]


def test_problems_carry_line_and_column(tmp_path: Path) -> None:
    problems = load(tmp_path, GOOD.replace("after: 1d, name", "after: 1x, name"))
    assert isinstance(problems, list) and problems
    assert problems[0].location.line == 9


def test_naive_start_is_rejected(tmp_path: Path) -> None:
    problems = load(tmp_path, GOOD.replace("2026-03-27T08:00:00Z", "2026-03-27T08:00:00"))
    assert isinstance(problems, list) and problems[0].location.line == 4


def test_subsequence_allows_unlisted_entries_but_keeps_order(tmp_path: Path) -> None:
    loaded = load(tmp_path, GOOD)
    assert isinstance(loaded, TestFile)
    case = loaded.cases[0]
    utc = resolve_zone("UTC")
    welcome = Actual(kind="send", target="welcome", at=parse_instant("2026-03-27T08:00:00Z"))
    extra = Actual(kind="send", target="other")
    nudge = Actual(kind="skip", target="nudge", reason="capped")
    done = Actual(kind="exit", target="completed")
    assert compare(case, [welcome, extra, nudge, done], utc).passed
    assert not compare(case, [nudge, welcome, done], utc).passed
    wrong_reason = Actual(kind="skip", target="nudge", reason="suppressed")
    failed = compare(case, [welcome, wrong_reason, done], utc)
    assert not failed.passed and any(line.startswith("+skip: nudge") for line in failed.diff())

"""`python -m bench.sample_check` says which of a forecast's intervals miss the full run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.sample_check import compare, main

FULL = {
    "contacts": 1000,
    "entered": 200,
    "converted": 0,
    "exited": {"completed": 200},
    "steps": {"welcome": {"entered": 200, "outcomes": {"sent": 190, "suppressed": 10}}},
    "sends_per_day": {"2026-03-02": 190},
}


def forecast(**intervals: list[int]) -> dict:
    named = {
        "entered": [180, 220],
        "exited.completed": [180, 220],
        "steps.welcome.outcomes.sent": [170, 200],
        "steps.welcome.outcomes.suppressed": [11, 30],  # misses the full run's 10
    }
    named.update(intervals)
    return {"entered": 205, "sample": {"contacts": 100, "seed": 1, "intervals": named}}


def test_a_count_outside_its_interval_is_named() -> None:
    found = compare(FULL, forecast())
    assert (found["holding"], found["intervals"]) == (3, 4)
    assert found["missed"] == [
        {"count": "steps.welcome.outcomes.suppressed", "full": 10.0, "interval": [11, 30]}
    ]
    assert found["entered_error_percent"] == pytest.approx(2.5)


def test_the_command_prints_one_line_per_forecast(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "full.json").write_text(json.dumps(FULL))
    (tmp_path / "s1.json").write_text(json.dumps(forecast()))
    assert main([str(tmp_path / "full.json"), str(tmp_path / "s1.json")]) == 0
    out = capsys.readouterr().out
    assert "s1.json: 100 sampled (seed 1): 3/4 intervals hold the full run's count" in out
    assert "outside: steps.welcome.outcomes.suppressed: 10 not in [11, 30]" in out

"""`journey simulate --sample N`: a marketer forecasts a population too big to run in full."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.acceptance.test_simulate import EXAMPLES, simulate

START = "2026-03-02T07:00:00Z"
ZONES = [
    ("sv_SE", "Europe/Stockholm", "SE"),
    ("zh_CN", "Asia/Shanghai", "CN"),
    ("en_US", "America/New_York", "US"),
    ("en_GB", "Europe/London", "GB"),
]


def mixed_population(tmp_path: Path, size: int) -> Path:
    """Trials and subscribers in four zones, some without SMS consent: outcomes differ."""
    rng = random.Random(5)
    path = tmp_path / "contacts.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for number in range(size):
            locale, zone, country = ZONES[number % len(ZONES)]
            record = {
                "id": f"c{number}",
                "email": f"c{number}@example.com",
                "phone": "+46700000000",
                "locale": locale,
                "timezone": zone,
                "country": country,
                "plan": rng.choice(["trial", "trial", "monthly"]),
                "first_name": "Alex",
                "consent": {"email": True, "sms": rng.random() < 0.5, "push": True},
            }
            handle.write(json.dumps(record) + "\n")
    return path


def _run(contacts: Path, *extra: str) -> dict:
    code, out, err = simulate(
        str(EXAMPLES / "onboarding.yaml"),
        "--contacts",
        str(contacts),
        "--enter-all",
        "--start",
        START,
        "--format",
        "json",
        *extra,
    )
    assert code == 0, err
    return json.loads(out)


def _counts(result: dict) -> dict[str, int]:
    flat = {"entered": result["entered"]}
    flat.update({f"exited.{k}": v for k, v in result["exited"].items()})
    for step, counts in result["steps"].items():
        flat[f"steps.{step}.entered"] = counts["entered"]
        flat.update({f"steps.{step}.outcomes.{k}": v for k, v in counts["outcomes"].items()})
    flat.update({f"sends_per_day.{day}": n for day, n in result["sends_per_day"].items()})
    return flat


@pytest.mark.soak
def test_the_full_runs_counts_fall_inside_the_samples_intervals(tmp_path: Path) -> None:
    contacts = mixed_population(tmp_path, 5000)
    full = _run(contacts)
    forecast = _run(contacts, "--sample", "1000", "--seed", "3")
    sample = forecast["sample"]
    assert forecast["contacts"] == 5000
    assert (sample["contacts"], sample["population"], sample["groups"]) == (1000, 5000, 10)
    intervals = sample["intervals"]
    inside = {}
    for name, value in _counts(full).items():
        low, high = intervals.get(name, [0, 0])
        inside[name] = low <= value <= high
    headline = [n for n in inside if n.startswith(("entered", "exited.", "steps."))]
    assert all(inside[n] for n in headline if n.endswith(".entered") or "." not in n), inside
    assert sum(inside.values()) >= 0.9 * len(inside), inside
    # a forecast, not the full count: the interval has width where outcomes vary
    low, high = intervals["entered"]
    assert low < full["entered"] < high


def test_the_same_seed_draws_the_same_sample_and_another_seed_another(tmp_path: Path) -> None:
    contacts = mixed_population(tmp_path, 400)
    first = _run(contacts, "--sample", "100", "--seed", "1")
    again = _run(contacts, "--sample", "100", "--seed", "1")
    other = _run(contacts, "--sample", "100", "--seed", "2")
    assert first == again
    assert first["sample"]["intervals"] != other["sample"]["intervals"]


def test_sample_table_shows_each_count_with_its_interval(tmp_path: Path) -> None:
    contacts = mixed_population(tmp_path, 200)
    code, out, err = simulate(
        str(EXAMPLES / "onboarding.yaml"),
        "--contacts",
        str(contacts),
        "--enter-all",
        "--start",
        START,
        "--sample",
        "40",
    )
    assert code == 0, err
    assert "forecast for 200 contacts from a stratified random sample of 40" in out
    entered = next(line for line in out.splitlines() if line.strip().startswith("entered"))
    assert " to " in entered

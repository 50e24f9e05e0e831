"""Check `journey simulate --sample N` forecasts against the full run they estimate.

    python -m bench.sample_check FULL.json SAMPLE.json [SAMPLE.json ...]

FULL.json is `journey simulate … --format json` over the whole population, each
SAMPLE.json the same command with `--sample N [--seed S]`. For every count the
forecast gives an interval for (entered, exited, per-step outcomes, sends per
day) this says whether the full run's count lies inside it, and how far the
forecast of `entered` is from the full run's.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

COUNTED = ("contacts", "converted", "entered", "exited", "sends_per_day", "steps")


def flat_counts(report: Mapping[str, Any]) -> dict[str, float]:
    """`steps.welcome.outcomes.sent` -> 200219.0, as the forecast's intervals name them."""
    found: dict[str, float] = {}

    def walk(value: Any, name: str) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(inner, f"{name}.{key}" if name else str(key))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            found[name] = float(value)

    walk({key: report[key] for key in COUNTED if key in report}, "")
    return found


def compare(full: Mapping[str, Any], forecast: Mapping[str, Any]) -> dict[str, Any]:
    """How many of the forecast's 95 % intervals hold the full run's count, and which do not."""
    truth = flat_counts(full)
    intervals = forecast["sample"]["intervals"]
    missed = [
        {"count": name, "full": truth.get(name, 0.0), "interval": [low, high]}
        for name, (low, high) in intervals.items()
        if not low <= truth.get(name, 0.0) <= high
    ]
    entered = float(forecast["entered"])
    return {
        "sampled": forecast["sample"]["contacts"],
        "seed": forecast["sample"]["seed"],
        "intervals": len(intervals),
        "holding": len(intervals) - len(missed),
        "missed": missed,
        "entered_forecast": entered,
        "entered_full": truth["entered"],
        "entered_error_percent": 100 * (entered - truth["entered"]) / max(1.0, truth["entered"]),
        "entered_interval": intervals["entered"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("full", type=Path)
    parser.add_argument("samples", type=Path, nargs="+")
    args = parser.parse_args(argv)
    full = json.loads(args.full.read_text())
    for path in args.samples:
        found = compare(full, json.loads(path.read_text()))
        print(
            f"{path.name}: {found['sampled']:,} sampled (seed {found['seed']}):"
            f" {found['holding']}/{found['intervals']} intervals hold the full run's count;"
            f" entered {found['entered_forecast']:,.0f} vs {found['entered_full']:,.0f}"
            f" ({found['entered_error_percent']:+.2f} %), interval {found['entered_interval']}"
        )
        for miss in found["missed"]:
            print(f"    outside: {miss['count']}: {miss['full']:,.0f} not in {miss['interval']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

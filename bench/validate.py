"""Benchmark: `journey validate` on 500 generated journeys vs check-jsonschema's schema-only pass.

Both tools run as the user would run them (a fresh process each, same files,
same schema), so interpreter start-up is counted on both sides. The result is
a ratio, measured in one run on one machine; figures go to docs/benchmarks.md.

    python -m bench.validate [--journeys 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def generate(folder: Path, count: int) -> list[Path]:
    """Copies of the example journeys with fresh ids: realistic size and variety."""
    examples = sorted(
        p for p in (ROOT / "journeys" / "examples").glob("*.yaml") if ".test." not in p.name
    )
    journeys = folder / "journeys"
    journeys.mkdir(parents=True)
    for name in ("workspace.yaml",):
        shutil.copy(ROOT / name, folder / name)
    for name in ("templates", "locales", "schema"):
        shutil.copytree(ROOT / name, folder / name)
    files = []
    for index in range(count):
        source = examples[index % len(examples)]
        text = source.read_text(encoding="utf-8")
        first_id = next(line for line in text.splitlines() if line.startswith("id:"))
        journey_id = first_id.split(":", 1)[1].strip()
        text = text.replace(first_id, f"id: {journey_id}-{index:04d}", 1)
        target = journeys / f"{index:04d}-{source.name}"
        target.write_text(text, encoding="utf-8")
        files.append(target)
    return files


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    checker = shutil.which("check-jsonschema")
    if checker is None:
        sys.exit("check-jsonschema is not installed: pip install -e '.[bench]'")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = generate(folder, args.journeys)
        ours_cmd = [sys.executable, "-m", "journey", "validate", "journeys", "--format", "json"]
        theirs_cmd = [
            checker,
            "--schemafile",
            str(folder / "schema" / "journey.schema.json"),
            *[str(f.relative_to(folder)) for f in files],
        ]
        ours, theirs = [], []
        for _ in range(args.repeat):
            ours.append(timed(ours_cmd, folder))
            theirs.append(timed(theirs_cmd, folder))
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    print(f"journeys validated          : {args.journeys}")
    print(f"journey validate (full)     : {ours_s:.2f} s  (median of {args.repeat})")
    print(f"check-jsonschema (schema)   : {theirs_s:.2f} s  (median of {args.repeat})")
    print(f"ratio ours / check-jsonschema: {ours_s / theirs_s:.2f}  (target <= 1.00)")


if __name__ == "__main__":
    main()

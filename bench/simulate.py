"""`journey simulate` at scale: wall time, peak memory and transitions/s per population size.

    python -m bench.simulate --journey onboarding --contacts 10000 100000 [--baseline DIR]
        [--jobs 1 2] [--profile] [--json]

Each size runs in its own process (so peak RSS, `getrusage`, is that run's) doing what
`journey simulate FILE --contacts FILE.jsonl --enter-all` does: the generated contacts are
written to a JSONL file first and read back as they are loaded. `--baseline DIR` runs the
same thing against another checkout of the project (e.g. `git archive main | tar -x -C DIR`)
in the same invocation, alternating with this one, for ratios on a shared machine.
`--profile` prints the top cProfile entries (cumulative) of each run of this checkout.
`--jobs 1 2` runs each size with `--jobs 1` and with `--jobs 2` (this checkout only), one
after the other: CPU seconds and peak RSS are then summed over the run's processes.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
LOCALES = (
    ("sv_SE", "Europe/Stockholm", "SE"),
    ("zh_CN", "Asia/Shanghai", "CN"),
    ("en_US", "America/New_York", "US"),
    ("en_GB", "Europe/London", "GB"),
)
PLANS = ("trial", "monthly", "fortnightly", "weekly", "paused")


def contact(number: int, rng: random.Random) -> dict[str, Any]:
    """A customer of the example workspace: enough attributes for every example journey."""
    locale, zone, country = LOCALES[number % len(LOCALES)]
    last_order = START - timedelta(days=rng.randint(0, 80), hours=rng.randint(0, 23))
    return {
        "id": f"c{number}",
        "email": f"c{number}@example.com",
        "phone": "+46700000000",
        "locale": locale,
        "timezone": zone,
        "country": country,
        "first_name": "Alex",
        "plan": rng.choice(PLANS),
        "churn_risk": round(rng.random(), 2),
        "last_order_at": last_order.isoformat(),
        "order_count": rng.randint(0, 6),
        "nps_score": rng.randint(0, 10),
        "digest_opt_in": rng.random() < 0.5,
        "birthday": f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "consent": {"email": True, "sms": number % 2 == 0, "push": True},
    }


def write_contacts(path: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            out.write(json.dumps(contact(number, rng)) + "\n")


def run_child(
    journey: str, contacts: Path, days: int, profile: bool, jobs: int = 1
) -> dict[str, Any]:
    """One simulation in this process (or `jobs` parts), as the CLI runs it; figures as a dict."""
    if jobs > 1:
        return run_parts(journey, contacts, days, jobs)
    import journey as package
    from journey.assembly import workspace_renderer, workspace_settings
    from journey.cli import simulate as simulate_cli
    from journey.compiler import compile_journey
    from journey.durations import parse_duration
    from journey.engine.simulation import simulate
    from journey.loader import load_yaml
    from journey.model import EventTrigger
    from journey.workspace import load_workspace

    workspace, _ = load_workspace(ROOT)
    plan = compile_journey(load_yaml(ROOT / f"journeys/examples/{journey}.yaml"), workspace)
    events: Any = []
    if isinstance(plan.trigger, EventTrigger):
        example: tuple[Any, ...] = ()
        if "example" in inspect.signature(simulate_cli._entry_events).parameters:
            example = (workspace.event_examples.get(plan.trigger.event, {}),)
        events = simulate_cli._entry_events(plan, contacts, START, *example)
    options: dict[str, Any] = {}
    if "events_in_order" in inspect.signature(simulate).parameters:
        options["events_in_order"] = True
    began = time.perf_counter()
    cpu = time.process_time()

    def run() -> Any:
        return simulate(
            plan,
            renderer=workspace_renderer(workspace),
            settings=workspace_settings(workspace),
            # a baseline checkout from before contacts were parsed once has only _contacts
            contacts=getattr(simulate_cli, "_parsed_contacts", simulate_cli._contacts)(contacts),
            events=events,
            start=START,
            duration=parse_duration(f"{days}d"),
            conversions=workspace.conversions,
            **options,
        )

    top = ""
    if profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        report = profiler.runcall(run)
        text = io.StringIO()
        order = os.environ.get("BENCH_SORT", "cumulative")  # or tottime
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(25)
        top = text.getvalue()
    else:
        report = run()
    seconds = time.perf_counter() - began
    counts = report.counts
    return {
        "journey": journey,
        "code": str(Path(package.__file__).parent.parent),
        "jobs": 1,
        "contacts": report.contacts,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "transitions": report.transitions,
        "per_second": round(report.transitions / seconds) if seconds else 0,
        "entered": counts.entered if counts else 0,
        "exited": dict(counts.exited) if counts else {},
        "sends": sum(report.sends_per_day.values()),
        "profile": top,
    }


def run_parts(journey: str, contacts: Path, days: int, jobs: int) -> dict[str, Any]:
    """`journey simulate --jobs N`: figures of the parent and its parts together."""
    import journey as package
    from journey.compiler import compile_journey
    from journey.durations import parse_duration
    from journey.loader import load_yaml
    from journey.model import EventTrigger
    from journey.partitioned_simulation import SimulationRun, simulate_in_parts
    from journey.workspace import load_workspace

    workspace, _ = load_workspace(ROOT)
    plan = compile_journey(load_yaml(ROOT / f"journeys/examples/{journey}.yaml"), workspace)
    run = SimulationRun(
        plan=plan,
        workspace=workspace,
        contacts=contacts,
        events=None,
        enter_all=isinstance(plan.trigger, EventTrigger),
        start=START,
        duration=parse_duration(f"{days}d"),
        timeline_contacts=1000,
    )
    began = time.perf_counter()
    outcome = simulate_in_parts(run, jobs)
    seconds = time.perf_counter() - began
    if outcome.report is None:
        raise SystemExit(f"runs as one job: {outcome.one_job}")
    report = outcome.report
    parent = resource.getrusage(resource.RUSAGE_SELF)
    counts = report.counts
    return {
        "journey": journey,
        "code": str(Path(package.__file__).parent.parent),
        "jobs": jobs,
        "contacts": report.contacts,
        "seconds": round(seconds, 2),
        # the parent's while it ran the parts (as --jobs 1 counts its run), the parts' in all
        "cpu_seconds": round(
            outcome.parent_cpu_seconds + sum(p.cpu_seconds for p in outcome.parts), 2
        ),
        "parent_cpu_seconds": round(outcome.parent_cpu_seconds, 2),
        "parts_cpu_seconds": [round(p.cpu_seconds, 2) for p in outcome.parts],
        "peak_rss_mib": round(
            (parent.ru_maxrss + sum(p.peak_rss_kib for p in outcome.parts)) / 1024, 1
        ),
        "parent_peak_rss_mib": round(parent.ru_maxrss / 1024, 1),
        "transitions": report.transitions,
        "per_second": round(report.transitions / seconds) if seconds else 0,
        "entered": counts.entered if counts else 0,
        "exited": dict(counts.exited) if counts else {},
        "sends": sum(report.sends_per_day.values()),
        "profile": "",
    }


def measure(
    tree: Path, journey: str, contacts: Path, days: int, profile: bool, jobs: int = 1
) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    # a script path, not `-m`: the current directory must not shadow `tree`'s package
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        journey,
        str(contacts),
        str(days),
        *(["--profile"] if profile else []),
        *(["--jobs", str(jobs)] if jobs > 1 else []),
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: the simulation failed:\n{done.stderr[-4000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["tree"] = "baseline" if tree != ROOT else "this"
    figures["per_contact_kib"] = round(
        figures["peak_rss_mib"] * 1024 / max(1, figures["contacts"]), 1
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--journey", default="onboarding")
    parser.add_argument("--contacts", type=int, nargs="+", default=[10_000])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--baseline", type=Path, help="another checkout to measure alongside")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--jobs", type=int, nargs="+", default=[1], help="processes per run, each in turn"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        journey, contacts, days = args.child
        result = run_child(journey, Path(contacts), int(days), args.profile, args.jobs[0])
        print(json.dumps(result))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as tmp:
        for size in args.contacts:
            path = Path(tmp) / f"contacts-{size}.jsonl"
            write_contacts(path, size)
            for _ in range(args.runs):
                trees = [ROOT] + ([args.baseline.resolve()] if args.baseline else [])
                runs = [(tree, jobs) for tree in trees for jobs in args.jobs]
                for tree, jobs in runs:
                    if jobs > 1 and tree != ROOT:
                        continue  # a baseline checkout may not have --jobs
                    figures = measure(tree, args.journey, path, args.days, args.profile, jobs)
                    figures["load"] = round(os.getloadavg()[0], 1)
                    results.append(figures)
                    if not args.json:
                        shown = {k: v for k, v in figures.items() if k != "profile"}
                        print(json.dumps(shown), flush=True)
                        if figures["profile"]:
                            print(figures["profile"], flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

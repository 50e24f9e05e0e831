"""Engine benchmark: N contacts through the onboarding example for 30 simulated days.

    python -m bench.engine [--contacts 100000] [--days 30] [--naive-jobs 2000]

Our side: the shell every command uses (runner and delivery worker) on a
virtual clock, SQLite persistence (a WAL file), real template rendering,
outcome events on. Reports step transitions per second
and peak RSS at two population sizes (each in its own process, so the peaks do
not mix). The naive side: what a user of APScheduler alone would build — one
persistent APScheduler 3 job per waiting contact in a SQLAlchemyJobStore on
SQLite, each job doing one step and scheduling the contact's next one. It is run
on `--naive-jobs` contacts and its rate extrapolated to N (it is linear in jobs).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import threading
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


def contact(number: int) -> dict[str, Any]:
    locale, zone, country = LOCALES[number % len(LOCALES)]
    return {
        "id": f"c{number}",
        "email": f"c{number}@example.com",
        "phone": "+46700000000",
        "locale": locale,
        "timezone": zone,
        "country": country,
        "first_name": "Alex",
        "consent": {"email": True, "sms": number % 2 == 0, "push": True},
    }


def run_ours(contacts: int, days: int, render_all: bool) -> dict[str, Any]:
    """One measured run in this process; returns figures."""
    from journey.assembly import VirtualRun, virtual_shell, workspace_renderer
    from journey.clock import VirtualClock
    from journey.compiler import compile_journey
    from journey.engine.context import EngineSettings
    from journey.engine.simulation import SamplingRenderer
    from journey.engine.timeline import run_until
    from journey.loader import load_yaml
    from journey.model import Event
    from journey.store.url import open_store
    from journey.workspace import load_workspace

    workspace, _ = load_workspace(ROOT)
    plan = compile_journey(load_yaml(ROOT / "journeys/examples/onboarding.yaml"), workspace)
    renderer = workspace_renderer(workspace)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "state.db")
        clock = VirtualClock(START)
        shell = virtual_shell(
            {plan.journey_id: plan},
            clock,
            VirtualRun(
                renderer=SamplingRenderer(renderer, None if render_all else 0),
                settings=EngineSettings.from_workspace(workspace),
                batch_size=1000,
            ),
            store=store,
        )
        runner = shell.runner
        runner.activate(START)
        began = time.perf_counter()
        cpu = time.process_time()
        for first in range(0, contacts, 1000):
            with store.transaction():
                for number in range(first, min(first + 1000, contacts)):
                    runner.upsert_contact(contact(number), START)
                    runner.handle_event(
                        Event(
                            id=f"e{number}",
                            name="signed_up",
                            contact_id=f"c{number}",
                            timestamp=START,
                            received_at=START,
                            properties={"plan": "trial"},
                        )
                    )
        run_until(shell, clock, START + timedelta(days=days))
        seconds = time.perf_counter() - began
        cpu_seconds = time.process_time() - cpu
        sent = store.journey_counts(plan.journey_id).deliveries.get("sent", 0)
        store.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "contacts": contacts,
        "transitions": runner.transitions,
        "seconds": seconds,
        "per_second": runner.transitions / seconds,
        # on a shared machine the wall-clock rate is partly waiting for a core
        "cpu_seconds": cpu_seconds,
        "per_cpu_second": runner.transitions / cpu_seconds if cpu_seconds else 0.0,
        "sent": sent,
        "peak_rss_mib": peak_kib / 1024,
    }


def _child(contacts: int, days: int, render_all: bool, queue: Any) -> None:
    queue.put(run_ours(contacts, days, render_all))


def in_child(contacts: int, days: int, render_all: bool) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(contacts, days, render_all, queue))
    process.start()
    result: dict[str, Any] = queue.get()
    process.join()
    return result


# ----------------------------------------------------------------------- naive side

_done = threading.Event()
_state: dict[str, Any] = {}


def naive_step(contact_id: str, step: int) -> None:
    """One onboarding step for one contact, then schedule its next step as a new job."""
    _state["transitions"] += 1
    message = f"step {step} for {contact_id}"  # the work is not the point; scheduling is
    _state["bytes"] += len(message)
    if step + 1 < _state["steps"]:
        _state["scheduler"].add_job(
            naive_step,
            "date",
            run_date=datetime.now(UTC),
            args=[contact_id, step + 1],
            id=f"{contact_id}:{step + 1}",
            misfire_grace_time=None,
            replace_existing=True,
        )
    if _state["transitions"] >= _state["target"]:
        _done.set()


def run_naive(jobs: int, steps: int) -> dict[str, Any]:
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    with tempfile.TemporaryDirectory() as tmp:
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{tmp}/jobs.db")},
            executors={"default": ThreadPoolExecutor(1)},
            timezone=UTC,
        )
        _state.update(transitions=0, bytes=0, steps=steps, target=jobs * steps, scheduler=scheduler)
        began = time.perf_counter()
        for number in range(jobs):
            scheduler.add_job(
                naive_step,
                "date",
                run_date=datetime.now(UTC),
                args=[f"c{number}", 0],
                id=f"c{number}:0",
                misfire_grace_time=None,
            )
        scheduler.start()
        _done.wait(timeout=600)
        seconds = time.perf_counter() - began
        scheduler.shutdown(wait=False)
    return {
        "jobs": jobs,
        "transitions": _state["transitions"],
        "seconds": seconds,
        "per_second": _state["transitions"] / seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.engine",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--naive-jobs", type=int, default=2_000)
    parser.add_argument(
        "--render-all",
        action="store_true",
        help="render every message (default: every message too; see below)",
    )
    parser.add_argument(
        "--no-render",
        action="store_true",
        help="measure the engine alone, without template rendering",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    render_all = not args.no_render
    small = in_child(max(args.contacts // 10, 100), args.days, render_all)
    large = in_child(args.contacts, args.days, render_all)
    naive = run_naive(args.naive_jobs, steps=10)
    naive_extrapolated = large["transitions"] / naive["per_second"]
    figures = {
        "ours_small": small,
        "ours": large,
        "naive": naive,
        "naive_seconds_for_same_workload": naive_extrapolated,
        "speedup": large["per_second"] / naive["per_second"],
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"ours, {small['contacts']:>7} contacts: {small['transitions']:>9} transitions in "
        f"{small['seconds']:.1f} s = {small['per_second']:,.0f}/s, peak RSS "
        f"{small['peak_rss_mib']:.0f} MiB"
    )
    print(
        f"ours, {large['contacts']:>7} contacts: {large['transitions']:>9} transitions in "
        f"{large['seconds']:.1f} s = {large['per_second']:,.0f}/s, peak RSS "
        f"{large['peak_rss_mib']:.0f} MiB, {large['sent']} messages sent"
    )
    print(
        f"naive APScheduler (SQLAlchemyJobStore on SQLite), {naive['jobs']} contacts x 10 steps:"
        f" {naive['per_second']:,.0f} transitions/s; extrapolated to our workload: "
        f"{naive_extrapolated:,.0f} s"
    )
    print(f"ratio (ours / naive transitions per second): {figures['speedup']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

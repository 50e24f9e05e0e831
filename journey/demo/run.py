"""`journey run --demo`: the daemon on a fast virtual clock over the bundled sample population.

The same Daemon, Runner, renderer and delivery worker as `journey run`, but time
jumps from one due moment to the next, and every channel writes to an outbox
file, so three simulated weeks take seconds and nothing leaves the machine.
The database (`.journey/demo.db`) and outbox are recreated on each run.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from journey.channels import read_outbox
from journey.clock import VirtualClock
from journey.daemon import inbox
from journey.daemon.service import Daemon, DaemonOptions
from journey.demo.population import TimedRecord, contacts, timeline
from journey.demo.report import render_summary
from journey.ingest import parse_event
from journey.logsetup import LogFormat
from journey.model import Duration
from journey.store.abc import StateStore

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday morning in Europe
CUSTOMERS = 180
TRIALS = 72
# The examples' segments read contact attributes only, and a contact change
# re-checks them at once; the demo spares itself the hourly safety-net scan.
SEGMENT_RECHECK = Duration(seconds=6 * 3600, text="6h")
IDLE_STEP = timedelta(minutes=15)


def run_demo(
    root: Path,
    *,
    days: int = 21,
    log_format: LogFormat = "text",
    logs: bool = False,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    folder = root / ".journey" / "demo"
    database = root / ".journey" / "demo.db"
    _fresh(folder, database)
    people = contacts(START, CUSTOMERS)
    happenings = timeline(START, people, days, TRIALS)
    _write_inputs(folder, people, happenings)
    clock = VirtualClock(START)
    outbox = folder / "outbox.jsonl"
    env = {k: v for k, v in __import__("os").environ.items() if k != "JOURNEY_SECRET"}
    daemon = Daemon(
        DaemonOptions(
            root=root,
            database=database,
            outbox=outbox,
            log_format=log_format,
            logs=logs,
            env=env,
            tick_budget_seconds=3600.0,
            workspace_overrides={"segment_recheck": SEGMENT_RECHECK},
        ),
        clock=clock,
    )
    began = time.monotonic()
    daemon.open()
    try:
        inbox.enqueue_contacts(daemon.store, people, clock.now())
        _run(daemon, clock, deque(happenings), START + timedelta(days=days), out)
        summary = render_summary(
            daemon.store,
            list(daemon.catalog.plans),
            outbox=outbox,
            database=database,
            records=list(read_outbox(outbox)) if outbox.exists() else [],
            counts=_counts(daemon.store, people, happenings),
            days=days,
            start=START,
            seconds=time.monotonic() - began,
        )
    finally:
        daemon.close()
    out.write(summary)
    return 0


def _fresh(folder: Path, database: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def _write_inputs(folder: Path, people: list[dict[str, Any]], items: list[TimedRecord]) -> None:
    import json

    with (folder / "contacts.jsonl").open("w", encoding="utf-8") as handle:
        for person in people:
            handle.write(json.dumps(person, ensure_ascii=False) + "\n")
    with (folder / "events.jsonl").open("w", encoding="utf-8") as handle:
        for item in items:
            if item.kind == "event":
                handle.write(json.dumps(item.record, ensure_ascii=False) + "\n")


def _run(
    daemon: Daemon, clock: VirtualClock, pending: deque[TimedRecord], end: datetime, out: TextIO
) -> None:
    """Jump from one due moment to the next: an arriving record, or what the store says."""
    day = 0
    while clock.now() < end:
        now = clock.now()
        while pending and pending[0].at <= now:
            item = pending.popleft()
            if item.kind == "event":
                event = parse_event(item.record, received_at=item.at)
                inbox.enqueue_events(daemon.store, [event], now)
            else:
                inbox.enqueue_contacts(daemon.store, [item.record], now)
        daemon.tick()
        moments = [end]
        if pending:
            moments.append(pending[0].at)
        running = [j for j, plan in daemon.runner.plans.items() if plan.status == "active"]
        due = daemon.store.next_due_at(running)
        if due is not None:
            moments.append(max(due, now + IDLE_STEP) if due <= now else due)
        clock.advance_to(min(moments))
        if (clock.now() - START).days > day and out.isatty():
            day = (clock.now() - START).days
            out.write(f"\r  simulated day {day:>2} ...")
            out.flush()
    if out.isatty():
        out.write("\r" + " " * 30 + "\r")


def _counts(
    store: StateStore, people: list[dict[str, Any]], items: list[TimedRecord]
) -> dict[str, int]:
    events = Counter(item.kind for item in items)
    return {
        "contacts": store.count_contacts(),
        "customers": len(people),
        "events": events["event"],
    }

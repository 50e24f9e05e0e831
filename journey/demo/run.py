"""`journey run --demo`: the daemon on a fast virtual clock over the bundled sample population.

The same Daemon, Runner, renderer and delivery worker as `journey run`, but time
jumps from one due moment to the next, and every channel writes to an outbox
file, so three simulated weeks take seconds and nothing leaves the machine.
The database (`.journey/demo.db`, or a PostgreSQL database given with
`--database`, worked by several worker processes: journey.demo.workers) and the
outbox are recreated on each run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TextIO

from journey.channels import read_outbox
from journey.clock import VirtualClock
from journey.daemon import inbox
from journey.daemon.service import Daemon, DaemonOptions
from journey.demo.population import TimedRecord, contacts, timeline
from journey.demo.report import render_summary
from journey.demo.store import fresh_postgres, fresh_sqlite, mark_as_demo
from journey.demo.workers import ANSWER_SECONDS, DemoWorkers, WorkerSpec
from journey.errors import StoreError
from journey.ingest import parse_event
from journey.logsetup import LogFormat
from journey.model import Duration
from journey.store.abc import StateStore
from journey.store.url import open_store, shown

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday morning in Europe
CUSTOMERS = 180
TRIALS = 72
# The examples' segments read contact attributes only, and a contact change
# re-checks them at once; the demo spares itself the hourly safety-net scan.
SEGMENT_RECHECK = Duration(seconds=6 * 3600, text="6h")
IDLE_STEP = timedelta(minutes=15)
_IDLE_ROUND_SECONDS = 0.2  # a shard between holders is taken over within a lease (15-20 s)
OVERRIDES: dict[str, Any] = {"segment_recheck": SEGMENT_RECHECK}


def run_demo(
    root: Path,
    *,
    days: int = 21,
    log_format: LogFormat = "text",
    logs: bool = False,
    out: TextIO | None = None,
    database: str | None = None,
    workers: int = 2,
) -> int:
    """The demo on its own SQLite file, or on PostgreSQL `database` with `workers` processes."""
    out = out or sys.stdout
    folder = root / ".journey" / "demo"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    people = contacts(START, CUSTOMERS)
    happenings = timeline(START, people, days, TRIALS)
    _write_inputs(folder, people, happenings)
    clock = VirtualClock(START)
    outbox = folder / "outbox.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "JOURNEY_SECRET"}
    began = time.monotonic()
    shell: _Shell
    if database is None:
        shell = _OneDaemon(root, outbox, clock, log_format, logs, env)
    else:
        fresh_postgres(database)
        spec = WorkerSpec(
            root=root,
            database=database,
            outbox=outbox,
            start=START,
            log_format=log_format,
            logs=logs,
            env=env,
            overrides=OVERRIDES,
        )
        shell = _Workers(spec, workers)
    try:
        inbox.enqueue_contacts(shell.store, people, clock.now())
        _run(shell, clock, deque(happenings), START + timedelta(days=days), out)
        worked = shell.stop()
        summary = render_summary(
            shell.store,
            shell.journeys,
            outbox=outbox,
            database=shell.location,
            records=list(read_outbox(outbox)) if outbox.exists() else [],
            counts=_counts(shell.store, people, happenings),
            days=days,
            start=START,
            seconds=time.monotonic() - began,
            workers=worked,
        )
    finally:
        shell.close()
    out.write(summary)
    return 0


class _Shell(Protocol):
    """What the demo's loop drives: one daemon in this process, or worker processes."""

    store: StateStore
    journeys: list[str]  # in the catalog's order
    running: list[str]  # the active ones
    location: str  # the store, as messages show it

    def tick(self, now: datetime) -> None: ...

    def stop(self) -> list[tuple[str, int, int]]: ...

    def close(self) -> None: ...


class _OneDaemon:
    """SQLite: the daemon in this process, on the demo's clock."""

    def __init__(
        self,
        root: Path,
        outbox: Path,
        clock: VirtualClock,
        log_format: LogFormat,
        logs: bool,
        env: dict[str, str],
    ) -> None:
        database = root / ".journey" / "demo.db"
        fresh_sqlite(database)
        self.daemon = Daemon(
            DaemonOptions(
                root=root,
                database=database,
                outbox=outbox,
                log_format=log_format,
                logs=logs,
                env=env,
                tick_budget_seconds=3600.0,
                workspace_overrides=OVERRIDES,
            ),
            clock=clock,
        )
        self.daemon.open()
        self.store: StateStore = self.daemon.store
        plans = self.daemon.runner.plans
        self.journeys = list(self.daemon.catalog.plans)
        self.running = [j for j, plan in plans.items() if plan.status == "active"]
        self.location = str(database)

    def tick(self, now: datetime) -> None:
        self.daemon.tick()

    def stop(self) -> list[tuple[str, int, int]]:
        return []

    def close(self) -> None:
        self.daemon.close()


class _Workers:
    """PostgreSQL: worker processes on the demo's clock, and a store of the demo's own."""

    def __init__(self, spec: WorkerSpec, count: int) -> None:
        self.store: StateStore = open_store(spec.database)
        mark_as_demo(self.store)
        try:
            self.workers = DemoWorkers(spec, count)
        except BaseException:
            self.store.close()
            raise
        first = self.workers.ready[0]
        self.journeys, self.running = first.journeys, first.running
        self.location = shown(spec.database)

    def tick(self, now: datetime) -> None:
        """Rounds until the store holds nothing due at `now`, not only until a round was idle.

        A round can find nothing while work is due: a shard between holders (its
        lease ran out under load, the other worker not yet took it) or a worker
        backing off a slow database. Moving the clock on then would do that work
        later than one daemon does, and the demo's outcome would differ from it.
        """
        deadline = time.monotonic() + ANSWER_SECONDS
        while True:
            self.workers.tick(now)
            waiting = self._due_at(now)
            if waiting is None:
                return
            if time.monotonic() > deadline:
                raise StoreError(
                    f"work due at {now.isoformat()} ({waiting}) was not done by any demo "
                    f"worker within {ANSWER_SECONDS:.0f} s; their logs are above"
                )
            time.sleep(_IDLE_ROUND_SECONDS)

    def _due_at(self, now: datetime) -> str | None:
        """What is still due at `now` in the shared store, or None."""
        if self.store.inbox_size():
            return "inbox items"
        due = self.store.next_due_at(self.running)
        return f"due {due.isoformat()}" if due is not None and due <= now else None

    def stop(self) -> list[tuple[str, int, int]]:
        return self.workers.stop()

    def close(self) -> None:
        self.workers.close()
        self.store.close()


def _write_inputs(folder: Path, people: list[dict[str, Any]], items: list[TimedRecord]) -> None:
    with (folder / "contacts.jsonl").open("w", encoding="utf-8") as handle:
        for person in people:
            handle.write(json.dumps(person, ensure_ascii=False) + "\n")
    with (folder / "events.jsonl").open("w", encoding="utf-8") as handle:
        for item in items:
            if item.kind == "event":
                handle.write(json.dumps(item.record, ensure_ascii=False) + "\n")


def _run(
    shell: _Shell, clock: VirtualClock, pending: deque[TimedRecord], end: datetime, out: TextIO
) -> None:
    """Jump from one due moment to the next: an arriving record, or what the store says."""
    day = 0
    while clock.now() < end:
        now = clock.now()
        while pending and pending[0].at <= now:
            item = pending.popleft()
            if item.kind == "event":
                event = parse_event(item.record, received_at=item.at)
                inbox.enqueue_events(shell.store, [event], now)
            else:
                inbox.enqueue_contacts(shell.store, [item.record], now)
        shell.tick(now)
        moments = [end]
        if pending:
            moments.append(pending[0].at)
        due = shell.store.next_due_at(shell.running)
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

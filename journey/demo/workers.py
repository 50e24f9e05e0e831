"""The demo's workers on PostgreSQL: `journey run` daemons in their own processes, on one clock.

Each worker process is the same `Daemon` as `journey run`, with a virtual clock
that the demo (the parent) moves: at every due moment the parent asks each
worker to tick there, again until a round in which no worker found anything to
do, and only then moves on. So the workers share one simulated time, split the
shards as `journey run` workers do, and every contact is handled by the worker
holding its shard. Messages go to the demo's one outbox file.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from journey.clock import VirtualClock
from journey.errors import StoreError
from journey.logsetup import LogFormat

ANSWER_SECONDS = 300.0  # one tick of the demo's busiest moment takes a few seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerSpec:
    """What a demo worker process needs to open its daemon (picklable, for a spawned process)."""

    root: Path
    database: str
    outbox: Path
    start: datetime
    log_format: LogFormat
    logs: bool
    env: Mapping[str, str]
    overrides: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class WorkerReady:
    name: str
    journeys: list[str]  # the workspace's journeys, in catalog order
    running: list[str]  # those active


def serve(spec: WorkerSpec, conn: Connection) -> None:
    """The worker process: open the daemon, then tick, rebalance or stop as the demo asks."""
    from journey.daemon.service import Daemon, DaemonOptions

    clock = VirtualClock(spec.start)
    daemon = Daemon(
        DaemonOptions(
            root=spec.root,
            database=spec.database,
            outbox=spec.outbox,
            log_format=spec.log_format,
            logs=spec.logs,
            env=dict(spec.env),
            tick_budget_seconds=3600.0,
            workspace_overrides=dict(spec.overrides),
        ),
        clock=clock,
    )
    daemon.open()
    plans = daemon.runner.plans
    running = [j for j, plan in plans.items() if plan.status == "active"]
    conn.send(WorkerReady(daemon.worker_name, list(daemon.catalog.plans), running))
    try:
        while True:
            try:
                command, argument = conn.recv()
            except EOFError:  # the demo stopped
                break
            if command == "tick":
                clock.advance_to(argument)
                conn.send(daemon.tick())
            elif command == "share":  # a fair share of the shards now, before any work
                assert daemon.shards is not None
                daemon.shards.rebalance(force=True)
                conn.send(len(daemon.shards.held()))
            elif command == "stop":
                sent = sum(
                    n for (_, status), n in daemon.metrics.outcomes.items() if status == "sent"
                )
                conn.send((len(daemon.shards.held()) if daemon.shards else 0, sent))
                break
    finally:
        daemon.close()


class DemoWorkers:
    """N worker processes on one PostgreSQL database, ticked together on the demo's clock."""

    def __init__(self, spec: WorkerSpec, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes: list[Any] = []
        self.ready: list[WorkerReady] = []
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=serve, args=(spec, theirs), daemon=True)
            process.start()
            theirs.close()
            self.pipes.append(mine)
            self.processes.append(process)
        for pipe in self.pipes:  # every worker registered before any takes its share
            self.ready.append(self._answer(pipe))
        for pipe in self.pipes:
            pipe.send(("share", None))
            self._answer(pipe)

    def _answer(self, pipe: Connection) -> Any:
        try:
            if pipe.poll(ANSWER_SECONDS):
                return pipe.recv()
        except (EOFError, OSError):
            pass
        self.close()
        raise StoreError("a demo worker stopped or did not answer; its log is above")

    def tick(self, now: datetime) -> int:
        """Every worker does what is due at `now`, round after round until none finds work."""
        total = 0
        while True:
            for pipe in self.pipes:
                pipe.send(("tick", now))
            work = sum(int(self._answer(pipe)) for pipe in self.pipes)
            total += work
            if work == 0:
                return total

    def stop(self) -> list[tuple[str, int, int]]:
        """Stop every worker; (name, shards held at the end, messages sent) of each."""
        shown = []
        for pipe, ready in zip(self.pipes, self.ready, strict=True):
            pipe.send(("stop", None))
            shards, sent = self._answer(pipe)
            shown.append((ready.name, int(shards), int(sent)))
        self.close()
        return shown

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.close()
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()

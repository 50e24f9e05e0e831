"""The processes of `journey simulate --jobs N`: each part of the population simulated on its own.

A part's process is started with `spawn` (nothing of the parent is shared but the
arguments), ignores Ctrl-C (the parent handles it and stops every part), and sends
back its report, or the first bad line of its contacts file, or why it failed.
"""

from __future__ import annotations

import multiprocessing
import resource
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from journey.assembly import workspace_renderer, workspace_settings
from journey.engine.inputs import read_jsonl
from journey.engine.simulation import RENDER_SAMPLE, SimulationReport, simulate
from journey.errors import JourneyError
from journey.ingest import ContactChange, RecordError, parse_contact
from journey.model import Duration, Plan
from journey.simulation_inputs import entry_events, read_events, trigger_example
from journey.workspace import Workspace

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationRun:
    """What `journey simulate` was asked to run (without --sample)."""

    plan: Plan
    workspace: Workspace
    contacts: Path
    events: Path | None  # None: no events, or --enter-all's entry events (`enter_all`)
    enter_all: bool
    start: datetime
    duration: Duration
    render_all: bool = False
    timeline_contacts: int = 0
    show: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PartFigures:
    """What one part's process used (for bench.simulate)."""

    contacts: int
    cpu_seconds: float
    peak_rss_kib: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PartJob:
    run: SimulationRun
    contacts: Path
    events: Path | None
    rendered: frozenset[str] | None
    shown: frozenset[str]


@dataclass(slots=True, kw_only=True)
class PartResult:
    report: SimulationReport | None = None
    figures: PartFigures | None = None
    bad_line: tuple[int, str] | None = None  # (line of the part's file, problem)
    failed: str | None = None


class _BadLine(Exception):
    def __init__(self, number: int, problem: str) -> None:
        super().__init__(problem)
        self.number = number
        self.problem = problem


def _part_contacts(path: Path) -> Iterator[ContactChange]:
    for number, record in read_jsonl(path):
        try:
            yield parse_contact(record)
        except RecordError as exc:
            raise _BadLine(number, str(exc)) from None


def _simulate_part(job: PartJob) -> SimulationReport:
    run = job.run
    if run.enter_all:
        example = trigger_example(run.plan, run.workspace)
        events: Any = entry_events(run.plan, job.contacts, run.start, example)
    else:
        events = sorted(read_events(job.events, run.start), key=lambda e: e.timestamp)
    return simulate(
        run.plan,
        renderer=workspace_renderer(run.workspace),
        settings=workspace_settings(run.workspace),
        contacts=_part_contacts(job.contacts),
        events=events,
        start=run.start,
        duration=run.duration,
        render_sample=None if run.render_all else RENDER_SAMPLE,
        rendered=job.rendered,
        conversions=run.workspace.conversions,
        timeline_contacts=0,  # the parent chose whose rows the timeline keeps: `show`
        show=job.shown,
        events_in_order=True,
    )


def _part_main(job: PartJob, results: Connection) -> None:
    """A part's process: Ctrl-C is the parent's to handle; whatever happens is sent back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    result = PartResult()
    try:
        result.report = _simulate_part(job)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result.figures = PartFigures(
            contacts=result.report.contacts,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_rss_kib=usage.ru_maxrss,
        )
    except _BadLine as exc:
        result = PartResult(bad_line=(exc.number, exc.problem))
    except BaseException as exc:
        result = PartResult(failed=_failure(exc))
    try:
        results.send(result)
    except Exception as exc:
        results.send(PartResult(failed=_failure(exc)))
    results.close()


def _failure(exc: BaseException) -> str:
    if isinstance(exc, JourneyError):
        return str(exc)
    last = traceback.extract_tb(exc.__traceback__)[-1:]
    where = f" at {Path(last[0].filename).name}:{last[0].lineno}" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def run_parts(jobs: list[PartJob], finished: Progress | None) -> list[PartResult]:
    """Every part in its own process; the first failure stops the others (as does Ctrl-C),
    and is raised as one line."""
    context = multiprocessing.get_context("spawn")
    processes: list[Any] = []
    readers: dict[Connection, int] = {}
    results: dict[int, PartResult] = {}
    try:
        with _ctrl_c_ignored_by_children():
            for number, job in enumerate(jobs):
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(
                    target=_part_main, args=(job, writer), name=f"journey-simulate-part-{number}"
                )
                process.start()
                writer.close()  # the child's end: its exit closes the pipe
                processes.append(process)
                readers[reader] = number
        while readers:
            for ready in wait(list(readers)):
                assert isinstance(ready, Connection)
                reader = ready
                number = readers.pop(reader)
                try:
                    result: PartResult = reader.recv()
                except EOFError:
                    processes[number].join()
                    code = processes[number].exitcode
                    result = PartResult(failed=f"its process stopped (exit code {code})")
                reader.close()
                if result.failed is not None:
                    raise JourneyError(f"part {number + 1} of {len(jobs)} failed: {result.failed}")
                results[number] = result
                if finished:
                    finished(1)
        for process in processes:
            process.join()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
        for reader in readers:
            reader.close()
    return [results[n] for n in range(len(jobs))]


@contextmanager
def _ctrl_c_ignored_by_children() -> Iterator[None]:
    """SIGINT ignored while the parts start: an ignored signal stays ignored across exec, so
    a Ctrl-C while a part is still importing does not print its traceback (the parent,
    which gets it too, stops the parts)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

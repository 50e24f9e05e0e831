"""`journey simulate --jobs N`: one simulation over a big population on N processes.

Contacts, and their events, are dealt into N parts by a stable hash of the
contact id; the parent copies each line to its part's file in the run's scratch
folder as it reads the input (it holds one line at a time, and parses each line
once, as JSON only: the parts check the contacts). Each part runs the same
`simulate()` in its own process (started with `spawn`, so nothing of the parent
but the arguments is shared), and journey.simulation_merge puts their reports
together into the report of one run over everyone.

That is exact because the engine never looks at two contacts at once, with the
exceptions `why_one_job` names: such a run goes back to one job.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import resource
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import IO, Any

from journey.assembly import workspace_renderer, workspace_settings
from journey.engine.inputs import InputError, parse_event, read_jsonl
from journey.engine.simulation import RENDER_SAMPLE, SimulationReport, simulate
from journey.errors import JourneyError, UsageError
from journey.ingest import ContactChange, LineError, RecordError, parse_contact
from journey.ingest.jsonl import read_jsonl_lines
from journey.model import Duration, Plan, SplitStep
from journey.simulation_inputs import checked_contacts, entry_events, read_events
from journey.simulation_merge import merge_reports
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


@dataclass(slots=True, kw_only=True)
class PartsOutcome:
    report: SimulationReport | None = None
    one_job: str | None = None  # why the run must go back to one job (report is None)
    parts: list[PartFigures] = field(default_factory=list)
    parent_cpu_seconds: float = 0.0


def why_one_job(plan: Plan) -> str | None:
    """What in the journey couples contacts, so that parts would not add up to the whole."""
    for step in plan.steps:
        if isinstance(step, SplitStep) and step.auto_winner is not None:
            return (
                f"the split `{step.id}` picks a winner (auto_winner) from the results of "
                "all its contacts at once"
            )
    return None


def part_of(contact_id: str, parts: int) -> int:
    """The part a contact's lines and events go to: the same on every run and machine."""
    digest = hashlib.md5(contact_id.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big") % parts


def simulate_in_parts(
    run: SimulationRun,
    jobs: int,
    *,
    reading: Progress | None = None,
    finished: Progress | None = None,
) -> PartsOutcome:
    """The run's report from `jobs` processes; or why it must run as one job instead.

    `reading(n)`: n more bytes of the contacts file dealt; `finished(1)`: a part is done.
    """
    began = time.process_time()
    with tempfile.TemporaryDirectory(prefix="journey-simulate-") as scratch:
        folder = Path(scratch)
        events = _deal_events(run, jobs, folder) if run.events is not None else None
        if isinstance(events, str):
            return PartsOutcome(one_job=events)
        dealt = _deal_contacts(run, jobs, folder, reading)
        rendered = None if run.render_all else frozenset(dealt.first[:RENDER_SAMPLE])
        timeline = set(dealt.first[: run.timeline_contacts]) | set(run.show)
        parts = [
            _PartJob(
                run=run,
                contacts=dealt.files[n],
                events=events[n] if events is not None else None,
                rendered=rendered,
                shown=frozenset(timeline),
            )
            for n in range(jobs)
        ]
        results = _run_parts(parts, finished)
        bad = [(n, r.bad_line) for n, r in enumerate(results) if r.bad_line is not None]
        if bad:
            raise UsageError(_first_bad_contact(run.contacts, jobs, bad))
        reports = [r.report for r in results if r.report is not None]
        total = sum(r.contacts for r in reports)
        outcome = PartsOutcome(parts=[r.figures for r in results if r.figures is not None])
        sampled = rendered is not None and total > RENDER_SAMPLE  # as one job says it
        outcome.report = merge_reports(
            run.plan,
            reports,
            timeline_contacts=len(timeline),
            rendered_contacts=RENDER_SAMPLE if sampled else None,
            rendered_ids=rendered if sampled else None,
            conversions=run.workspace.conversions,
        )
        outcome.parent_cpu_seconds = time.process_time() - began
        return outcome


# ---------------------------------------------------------------- dealing the input


@dataclass(slots=True, kw_only=True)
class _Dealt:
    files: list[Path]
    first: list[str]  # the first distinct contact ids of the input, as many as shown or rendered


def _deal_contacts(run: SimulationRun, jobs: int, folder: Path, reading: Progress | None) -> _Dealt:
    """Each line to its part's file; the first contacts noted; JSON problems raised at once,
    as one job does (it reads the whole file before it checks a contact)."""
    keep = max(run.timeline_contacts, 0 if run.render_all else RENDER_SAMPLE)
    dealt = _Dealt(files=[folder / f"contacts-{n}.jsonl" for n in range(jobs)], first=[])
    seen: set[str] = set()
    no_id = False
    with ExitStack() as stack:
        outs: list[IO[bytes]] = [stack.enter_context(path.open("wb")) for path in dealt.files]
        for number, raw, value in read_jsonl_lines(run.contacts):
            if reading:
                reading(len(raw))
            contact_id = _check_object(run.contacts, number, value).get("id")
            if not isinstance(contact_id, str):
                no_id = True  # reported after the file is read, as one job would
                continue
            if len(seen) < keep and contact_id not in seen:
                seen.add(contact_id)
                dealt.first.append(contact_id)
            outs[part_of(contact_id, jobs)].write(raw if raw.endswith(b"\n") else raw + b"\n")
    if no_id:
        for _ in checked_contacts(run.contacts):  # raises the first problem of the file
            pass
    return dealt


def _deal_events(run: SimulationRun, jobs: int, folder: Path) -> list[Path] | str:
    """Each event to its contact's part, every line checked as one job checks it; or why
    the run must be one job (an event id given to contacts of two parts: one store keeps
    only the first, parts would keep both)."""
    assert run.events is not None
    files = [folder / f"events-{n}.jsonl" for n in range(jobs)]
    part_of_event: dict[str, int] = {}
    with ExitStack() as stack:
        outs: list[IO[bytes]] = [stack.enter_context(path.open("wb")) for path in files]
        for number, raw, value in read_jsonl_lines(run.events):
            record = _check_object(run.events, number, value)
            try:
                event = parse_event(record, run.start)
            except RecordError as exc:
                raise UsageError(f"{run.events}:{number}: {exc}") from None
            part = part_of(event.contact_id, jobs)
            if part_of_event.setdefault(event.id, part) != part:
                return f"the event id `{event.id}` is given to contacts of different parts"
            outs[part].write(raw if raw.endswith(b"\n") else raw + b"\n")
    return files


def _check_object(path: Path, number: int, value: Any) -> dict[str, Any]:
    if isinstance(value, LineError):
        raise InputError(f"{path}:{number}: {value.message}")
    if not isinstance(value, dict):
        raise InputError(f"{path}:{number}: each line must be a JSON object")
    return value


def _first_bad_contact(path: Path, jobs: int, bad: list[tuple[int, tuple[int, str]]]) -> str:
    """`file:line: problem` of the first bad contact of the input, from the parts' first ones
    (a part's line number counted back to the input's)."""
    wanted = {part: line for part, (line, _) in bad}
    problems = {part: problem for part, (_, problem) in bad}
    counted = dict.fromkeys(wanted, 0)
    for number, record in read_jsonl(path):
        part = part_of(record["id"], jobs) if isinstance(record.get("id"), str) else -1
        if part in counted:
            counted[part] += 1
            if counted[part] == wanted[part]:
                return f"{path}:{number}: {problems[part]}"
    raise AssertionError("a part's bad line is in the input")  # pragma: no cover


# ---------------------------------------------------------------- the parts' processes


@dataclass(frozen=True, slots=True, kw_only=True)
class _PartJob:
    run: SimulationRun
    contacts: Path
    events: Path | None
    rendered: frozenset[str] | None
    shown: frozenset[str]


@dataclass(slots=True, kw_only=True)
class _PartResult:
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


def _simulate_part(job: _PartJob) -> SimulationReport:
    run = job.run
    if run.enter_all:
        events: Any = entry_events(run.plan, job.contacts, run.start)
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


def _part_main(job: _PartJob, results: Connection) -> None:
    """A part's process: Ctrl-C is the parent's to handle; whatever happens is sent back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    result = _PartResult()
    try:
        result.report = _simulate_part(job)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result.figures = PartFigures(
            contacts=result.report.contacts,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_rss_kib=usage.ru_maxrss,
        )
    except _BadLine as exc:
        result = _PartResult(bad_line=(exc.number, exc.problem))
    except BaseException as exc:
        result = _PartResult(failed=_failure(exc))
    try:
        results.send(result)
    except Exception as exc:
        results.send(_PartResult(failed=_failure(exc)))
    results.close()


def _failure(exc: BaseException) -> str:
    if isinstance(exc, JourneyError):
        return str(exc)
    last = traceback.extract_tb(exc.__traceback__)[-1:]
    where = f" at {Path(last[0].filename).name}:{last[0].lineno}" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _run_parts(jobs: list[_PartJob], finished: Progress | None) -> list[_PartResult]:
    """Every part in its own process; the first failure stops the others (as does Ctrl-C),
    and is raised as one line."""
    context = multiprocessing.get_context("spawn")
    processes: list[Any] = []
    readers: dict[Connection, int] = {}
    results: dict[int, _PartResult] = {}
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
                    result: _PartResult = reader.recv()
                except EOFError:
                    processes[number].join()
                    code = processes[number].exitcode
                    result = _PartResult(failed=f"its process stopped (exit code {code})")
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

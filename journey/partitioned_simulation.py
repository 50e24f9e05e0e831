"""`journey simulate --jobs N`: one simulation over a big population on N processes.

Contacts, and their events, are dealt into N parts by a stable hash of the
contact id; the parent copies each line to its part's file in the run's scratch
folder as it reads the input (it holds one line at a time, and parses each line
once, as JSON only: the parts check the contacts). Each part runs the same
`simulate()` in its own process (journey.simulation_processes), and
journey.simulation_merge puts their reports together into the report of one
run over everyone.

That is exact because the engine never looks at two contacts at once, with the
exceptions `why_one_job` names: such a run goes back to one job.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from journey.engine.inputs import InputLineError, parse_event, read_jsonl
from journey.engine.simulation import RENDER_SAMPLE, SimulationReport
from journey.errors import UsageError
from journey.ingest import LineError, RecordError
from journey.ingest.jsonl import read_jsonl_lines
from journey.model import Plan, SplitStep
from journey.simulation_inputs import checked_contacts
from journey.simulation_merge import merge_reports
from journey.simulation_processes import (
    PartFigures,
    PartJob,
    Progress,
    SimulationRun,
    run_parts,
)

__all__ = ["PartFigures", "PartsOutcome", "SimulationRun", "simulate_in_parts", "why_one_job"]


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
            PartJob(
                run=run,
                contacts=dealt.files[n],
                events=events[n] if events is not None else None,
                rendered=rendered,
                shown=frozenset(timeline),
            )
            for n in range(jobs)
        ]
        results = run_parts(parts, finished)
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
        raise InputLineError(f"{path}:{number}: {value.message}")
    if not isinstance(value, dict):
        raise InputLineError(f"{path}:{number}: each line must be a JSON object")
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

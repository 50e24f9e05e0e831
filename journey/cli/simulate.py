"""`journey simulate FILE --contacts FILE.jsonl`: a virtual-clock dry run over a population."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from journey.assembly import workspace_renderer, workspace_settings
from journey.cli.common import compile_file, echo_stdout, instant_option
from journey.cli.simulate_output import render_json, render_table
from journey.cli.simulate_sample import render_sample_table, run_sample
from journey.clock import SystemClock
from journey.durations import parse_duration
from journey.engine.simulation import (
    RENDER_SAMPLE,
    TIMELINE_CONTACTS,
    simulate,
)
from journey.errors import UsageError
from journey.ingest.jsonl import count_jsonl_lines
from journey.localtime import UTC_ZONE, add_duration
from journey.model import Duration, Event, EventTrigger
from journey.partitioned_simulation import (
    PartsOutcome,
    SimulationRun,
    simulate_in_parts,
    why_one_job,
)
from journey.sampled_simulation import DEFAULT_STRATA
from journey.simulation_inputs import (
    contact_records,
    entry_events,
    parsed_contacts,
    read_events,
    trigger_example,
)

# the names bench.simulate (and a baseline checkout of it) reads
_contacts = contact_records
_parsed_contacts = parsed_contacts
_entry_events = entry_events
_events = read_events


class JobsType(click.ParamType[int]):
    """`--jobs`: a whole number of processes, at least 1, or `auto` (one per core)."""

    name = "N|auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text == "auto":
            return os.cpu_count() or 1
        if text.isdigit() and int(text) >= 1:
            return int(text)
        self.fail(f"{value!r} is neither a whole number of processes (1 or more) nor `auto`")


JOBS = JobsType()


@click.command("simulate")
@click.argument("file", type=click.Path(path_type=str))
@click.option(
    "--contacts",
    "contacts_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Contacts, one JSON object per line.",
)
@click.option(
    "--events",
    "events_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Events, one JSON object per line; those before --start are history.",
)
@click.option(
    "--start",
    "start_text",
    help="When the virtual clock starts (RFC 3339; default: today 00:00 UTC).",
)
@click.option("--for", "for_text", default="30d", show_default=True, help="How long to simulate.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--enter-all",
    is_flag=True,
    help="Event trigger without --events: every contact sends the trigger event at the start"
    " (properties: the event's declared example, then the contact's attributes).",
)
@click.option(
    "--render-all",
    is_flag=True,
    help="Render every message (default: the first 200 contacts; the rest are counted).",
)
@click.option(
    "--timeline-contacts",
    type=click.IntRange(min=0),
    default=TIMELINE_CONTACTS,
    show_default=True,
    help="Keep the timeline rows of the first N contacts; the rest are counted only.",
)
@click.option(
    "--show",
    "show",
    multiple=True,
    metavar="CONTACT",
    help="Keep this contact's timeline rows too (repeatable).",
)
@click.option(
    "--sample",
    type=click.IntRange(min=2),
    help="Forecast from a stratified random sample of N contacts, scaled up, with 95% "
    "intervals on every count (see docs/cli.md).",
)
@click.option(
    "--jobs",
    type=JOBS,
    metavar="N|auto",
    default="1",
    show_default=True,
    help="Processes to run the population on (a whole number, or `auto`: one per core); "
    "the report is the same as with one.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="The sample's seed.")
@click.option(
    "--stratify",
    "strata",
    multiple=True,
    metavar="ATTRIBUTE",
    help="Strata of --sample (repeatable; default: timezone and locale).",
)
@click.pass_context
def command(
    ctx: click.Context,
    file: str,
    contacts_file: Path,
    events_file: Path | None,
    start_text: str | None,
    for_text: str,
    fmt: str,
    enter_all: bool,
    render_all: bool,
    timeline_contacts: int,
    show: tuple[str, ...],
    sample: int | None,
    jobs: int,
    seed: int,
    strata: tuple[str, ...],
) -> None:
    """Run FILE over a population on a virtual clock: timeline, per-step counts, sends per day.

    Runs are deterministic (split arms and retry jitter come from ids, not a
    random generator): the same files give the same report.
    """
    plan, workspace = compile_file(ctx, file)
    example = trigger_example(plan, workspace)  # --enter-all's entry event properties
    try:
        start = instant_option(start_text, "--start") if start_text else _today()
        duration = parse_duration(for_text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    events: Iterable[Event] = sorted(_events(events_file, start), key=lambda e: e.timestamp)
    if isinstance(plan.trigger, EventTrigger) and not events_file:
        if not enter_all:
            raise UsageError(
                f"{plan.journey_id} is triggered by the event `{plan.trigger.event}` and no "
                "--events file was given, so nobody would enter; pass --events FILE.jsonl, or "
                "--enter-all to have every contact send it at the start"
            )
        events = _entry_events(plan, contacts_file, start, example)
    renderer = workspace_renderer(workspace)
    settings = workspace_settings(workspace)
    one_job = "--sample runs one small simulation" if sample is not None else why_one_job(plan)
    if jobs > 1 and one_job is None:
        run = SimulationRun(
            plan=plan,
            workspace=workspace,
            contacts=contacts_file,
            events=events_file,
            enter_all=isinstance(plan.trigger, EventTrigger) and not events_file,
            start=start,
            duration=duration,
            render_all=render_all,
            timeline_contacts=timeline_contacts,
            show=show,
        )
        outcome = _in_parts(run, jobs)
        if outcome.report is not None:
            report = outcome.report
            echo_stdout(render_json(report) if fmt == "json" else render_table(report))
            return
        one_job = outcome.one_job
    if jobs > 1:
        click.echo(f"journey simulate: --jobs {jobs} runs as one job: {one_job}", err=True)
    if sample is not None:
        listed = list(events) if events_file else []

        def group_events(records: list[dict[str, Any]]) -> Iterable[Event]:
            if not events_file and isinstance(plan.trigger, EventTrigger):
                return _entry_events(plan, records, start, example)
            ids = {record["id"] for record in records}
            return [e for e in listed if e.contact_id in ids]

        def run_group(records: Iterable[dict[str, Any]], chosen: Iterable[Event]) -> Any:
            return simulate(
                plan,
                renderer=renderer,
                settings=settings,
                contacts=records,
                events=chosen,
                start=start,
                duration=duration,
                render_sample=None if render_all else RENDER_SAMPLE,
                conversions=workspace.conversions,
                timeline_contacts=timeline_contacts,
                show=show,
                events_in_order=True,
            )

        result, estimates, design = run_sample(
            contacts_file,
            group_events,
            run_group,
            render_json,
            sample=sample,
            seed=seed,
            strata=strata or DEFAULT_STRATA,
        )
        if fmt == "json":
            echo_stdout(json.dumps(result, indent=2, ensure_ascii=False))
        else:
            echo_stdout(render_sample_table(result, estimates, design))
        return
    total = count_jsonl_lines(contacts_file)
    progressbar: Any = click.progressbar  # click's stubs type it oddly
    stderr = sys.stderr
    with (
        progressbar(length=total, label="contacts", file=stderr) as bar,
        progressbar(length=_days(start, duration), label="simulating", file=stderr) as days,
    ):
        report = simulate(
            plan,
            renderer=renderer,
            settings=settings,
            contacts=_parsed_contacts(contacts_file),
            events=events,
            start=start,
            duration=duration,
            progress=bar.update,
            days_progress=days.update,
            render_sample=None if render_all else RENDER_SAMPLE,
            conversions=workspace.conversions,
            timeline_contacts=timeline_contacts,
            show=show,
            events_in_order=True,
        )
    echo_stdout(render_json(report) if fmt == "json" else render_table(report))


def _in_parts(run: SimulationRun, jobs: int) -> PartsOutcome:
    progressbar: Any = click.progressbar  # click's stubs type it oddly
    stderr = sys.stderr
    try:
        with (
            progressbar(length=run.contacts.stat().st_size, label="contacts", file=stderr) as bar,
            progressbar(length=jobs, label=f"simulating in {jobs} parts", file=stderr) as parts,
        ):
            return simulate_in_parts(run, jobs, reading=bar.update, finished=parts.update)
    except KeyboardInterrupt:
        click.echo(f"journey simulate: interrupted; its {jobs} processes were stopped", err=True)
        raise


def _days(start: datetime, duration: Duration) -> int:
    end = add_duration(start, duration, UTC_ZONE)
    return max(1, -(-int((end - start).total_seconds()) // 86_400))


def _today() -> datetime:
    now = SystemClock().now()
    return datetime(now.year, now.month, now.day, tzinfo=UTC)

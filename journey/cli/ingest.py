"""`journey ingest FILE.jsonl [--history]`: feed events into the workspace's store.

Streaming, in batches of one transaction each; a bad line is reported as
`FILE:LINE: error: message` and skipped. Without a running daemon the events go
through the Runner here, so triggers fire (sends are written as pending
deliveries for the daemon to deliver). With a daemon running on the database,
they go to its durable inbox and the daemon processes them, so one process
alone advances enrollments. `--history` only stores: backfills never mass-send.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

import click

from journey.assembly import intake_runner, valid_plans
from journey.cli.common import DATABASE_OPTION, open_workspace, workspace_root
from journey.clock import SystemClock
from journey.daemon.lock import writer_access
from journey.engine.runner import Runner
from journey.errors import JourneyError, UsageError
from journey.ingest import LineError, RecordError, parse_event
from journey.ingest.door import Door, door_for
from journey.ingest.feed import DEFAULT_BATCH, FeedSummary, feed
from journey.intake import Session, event_committer
from journey.reporting import format_diagnostics
from journey.store.url import open_store


@contextmanager
def ingest_session(
    ctx: click.Context, *, with_runner: bool, database: str | None = None
) -> Iterator[Session]:
    """Open the workspace's store as a writer; a daemon may start (or run) beside it."""
    workspace, problems = open_workspace(ctx)
    errors = [d for d in problems if d.is_error]
    if errors:
        click.echo(format_diagnostics(errors, "text"), err=True)
        ctx.exit(2)
    with ExitStack() as stack:
        location = workspace.store_url(database)
        access = writer_access(location)
        stack.callback(access.close)  # after the store: see journey.daemon.lock
        store = open_store(location)
        stack.callback(store.close)
        session = Session(workspace=workspace, store=store, clock=SystemClock(), access=access)
        if with_runner and not access.daemon_running():
            session.runner = _runner(ctx, session)
        yield session


def _runner(ctx: click.Context, session: Session) -> Runner:
    """The journeys that validate, as the daemon would run them; broken ones are skipped."""
    plans, broken = valid_plans(workspace_root(ctx))
    for path, problems in sorted(broken.items()):
        click.echo(
            f"journey: warning: {path} has {len(problems)} problem(s); its triggers are "
            "skipped (run `journey validate`)",
            err=True,
        )
    return intake_runner(session.workspace, plans, session.store, session.clock)


# ---------------------------------------------------------------------- shared shell


@contextmanager
def open_input(path: str) -> Iterator[tuple[IO[bytes], int | None]]:
    """The file (or stdin for `-`) as bytes, and its size when known (for progress)."""
    if path == "-":
        yield sys.stdin.buffer, None
        return
    file = Path(path)
    if not file.exists():
        raise UsageError(f"no such file: {path}")
    if file.is_dir():
        raise UsageError(f"{path} is a folder; give a .jsonl file")
    try:
        stream = file.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    with stream:
        yield stream, file.stat().st_size


def run_feed(
    path: str,
    *,
    parse: Callable[[Any], Any],
    commit: Callable[[list[Any]], Iterable[str | RecordError]],
    progress: bool | None,
    label: str,
    batch_size: int = DEFAULT_BATCH,
) -> FeedSummary:
    """Stream `path` through `feed`, reporting bad lines and drawing a progress bar."""
    shown = "-" if path == "-" else path

    def on_bad(error: LineError) -> None:
        click.echo(f"{shown}:{error.line}: error: {error.message}", err=True)

    with open_input(path) as (stream, size), ExitStack() as stack:
        on_progress = None
        if size and (progress if progress is not None else sys.stderr.isatty()):
            bar = stack.enter_context(
                click.progressbar(length=size, label=label, file=sys.stderr, show_pos=False)
            )
            done = [0]

            def on_progress(position: int) -> None:
                bar.update(max(0, position - done[0]))
                done[0] = max(done[0], position)

        return feed(
            stream,
            parse=parse,
            commit=commit,
            on_bad=on_bad,
            on_progress=on_progress,
            batch_size=batch_size,
        )


def finish(ctx: click.Context, summary: FeedSummary, parts: list[str]) -> None:
    """Print the summary line; exit 1 when some lines were bad (each was reported)."""
    bad = summary.bad
    parts.append(f"{bad} bad line{'' if bad == 1 else 's'}")
    line = ", ".join(parts)
    if bad:
        line += f" ({summary.good} of {summary.good + bad} lines accepted, {bad} refused)"
    click.echo(line)
    ctx.exit(1 if bad else 0)


def kept_note(door: Door) -> list[str]:
    """The summary's word on records kept though off the declarations (`intake: keep`)."""
    kept = door.tally.kept()
    return [f"{kept} kept though off the declarations (intake: keep)"] if kept else []


PROGRESS_OPTION = click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: when stderr is a terminal).",
)
BATCH_OPTION = click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    default=DEFAULT_BATCH,
    show_default=True,
    help="Records per transaction.",
)


# ------------------------------------------------------------------------- events


@click.command("ingest")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str, allow_dash=True))
@click.option(
    "--history",
    is_flag=True,
    help="Store the events as history only: they trigger nothing (backfills never mass-send).",
)
@PROGRESS_OPTION
@BATCH_OPTION
@DATABASE_OPTION
@click.pass_context
def command(
    ctx: click.Context,
    file: str,
    history: bool,
    progress: bool | None,
    batch_size: int,
    database: str | None,
) -> None:
    """Feed events (JSON Lines, `-` for stdin) into the workspace's store.

    Events received more than the journey's max_trigger_age after their
    timestamp go into history only. Exit 0 when every line was good, 1 when
    some were bad (they are reported and skipped), 2 for a usage error.
    """
    with open_input(file):
        pass  # a missing file is a usage error before the store is touched
    with ingest_session(ctx, with_runner=not history, database=database) as session:
        clock = session.clock
        door = door_for(session.workspace)
        try:
            summary = run_feed(
                file,
                parse=lambda obj: door.event(parse_event(obj, received_at=clock.now())),
                commit=event_committer(session, history=history),
                progress=progress,
                label="ingesting events",
                batch_size=batch_size,
            )
        except JourneyError as exc:
            raise JourneyError(f"{exc} (earlier batches were committed)") from None
        outcomes = summary.outcomes
        parts = [f"{outcomes['stored']} stored"]
        if outcomes["queued"]:
            parts.append(f"{outcomes['queued']} queued for the running daemon")
        parts.append(f"{outcomes['duplicate']} duplicates skipped")  # conflicts are bad lines
        if outcomes["refused"]:
            parts.append(f"{outcomes['refused']} refused (their contacts were erased)")
        if history:
            parts.append("history only")
        finish(ctx, summary, parts + kept_note(door))

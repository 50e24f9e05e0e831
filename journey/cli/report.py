"""`journey report`: per journey, step and arm — entered, sent, converted, revenue, experiments.

Reads the store (the workspace's database unless `--database`); safe while the
daemon runs. docs/results.md explains every figure and its caveats.
"""

from __future__ import annotations

import json

import click

from journey.cli.common import DATABASE_OPTION, echo_stdout, workspace_root
from journey.results.render import render_csv, render_table
from journey.results.workspace_report import parse_since, workspace_report


@click.command("report")
@click.argument("journeys", nargs=-1)
@click.option(
    "--since",
    default=None,
    help="Only enrollments, messages and conversions from then on: a date (2026-03-01), "
    "an instant with an offset, or a duration back from now (14d).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option(
    "--confidence",
    type=float,
    default=0.95,
    show_default=True,
    help="Confidence level of the intervals and of the decision rule.",
)
@DATABASE_OPTION
@click.pass_context
def command(
    ctx: click.Context,
    journeys: tuple[str, ...],
    since: str | None,
    fmt: str,
    confidence: float,
    database: str | None,
) -> None:
    """Results per journey (all, or those named): conversions and revenue per step, and per
    split arm with intervals, a significance test, a holdout's uplift and a decision that
    stays valid when checked daily.

    Before the workspace's first run, the store of `journey run --demo` is reported
    (with a note on stderr)."""
    report = workspace_report(
        workspace_root(ctx),
        database=database,
        journeys=journeys,
        since=parse_since(since) if since else None,
        confidence=confidence,
        demo_fallback=True,
    )
    if report is not None and report["demo"]:
        click.echo(
            f"journey: the workspace has not run yet; reporting the demo's store "
            f"({report['database']}, from `journey run --demo`)",
            err=True,
        )
    if report is None:
        where = database or "the workspace's database"
        echo_stdout(json.dumps({"journeys": []}) if fmt == "json" else f"no state yet ({where})")
        ctx.exit(0)
    if fmt == "json":
        echo_stdout(json.dumps(report, indent=2))
    elif fmt == "csv":
        echo_stdout(render_csv(report))
    else:
        echo_stdout(render_table(report))
    ctx.exit(0)

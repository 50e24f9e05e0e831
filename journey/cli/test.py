"""`journey test [PATH…]`: run journey tests. Exit 0 all pass, 1 failures, 2 invalid files."""

from __future__ import annotations

import click

from journey.cli.common import open_workspace, require_files
from journey.reporting import format_diagnostics
from journey.testing.run import CaseResult
from journey.testing.suite import discover_tests, run_suite


def _report(journey_id: str, result: CaseResult) -> None:
    if result.passed:
        click.echo(f"{click.style('PASS', fg='green')} {journey_id}: {result.name}")
        return
    click.echo(f"{click.style('FAIL', fg='red')} {journey_id}: {result.name}")
    for line in result.diff():
        colour = "red" if line.startswith("-") else "green" if line.startswith("+") else None
        click.echo("    " + (click.style(line, fg=colour) if colour else line))


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.pass_context
def command(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Run *.test.yaml journey tests on a virtual clock.

    PATHS are test files or folders (default: the workspace's journeys/).
    """
    workspace, problems = open_workspace(ctx, paths)
    roots = require_files(paths) if paths else [workspace.journeys_dir]
    files = discover_tests(roots)
    suite = run_suite(files, workspace, report=_report)
    invalid = suite.invalid + [d for d in problems if d.is_error]
    if invalid:
        click.echo(format_diagnostics(invalid, "text", files=len(files)), err=True)
    summary = f"{suite.passed} passed, {suite.failed} failed"
    if invalid:
        summary += f", {len({d.location.path for d in invalid})} invalid test file(s)"
    click.echo(summary)
    if not files:
        click.echo("no *.test.yaml files found", err=True)
    ctx.exit(2 if invalid else 1 if suite.failed else 0)

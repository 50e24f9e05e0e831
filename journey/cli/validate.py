"""`journey validate`: the CI gate. Exit 0 clean, 1 problems found, 2 usage error."""

from __future__ import annotations

from pathlib import Path

import click

from journey.cli.common import open_workspace, require_files
from journey.github import write_step_summary
from journey.reporting import FORMATS, format_diagnostics
from journey.validator import discover_journey_files, validate_files


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Treat warnings as problems (exit 1).")
@click.pass_context
def command(ctx: click.Context, paths: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Load, schema-check and semantically check journeys, their templates and translations.

    PATHS are journey files or folders (default: the workspace's journeys/).
    """
    workspace, diagnostics = open_workspace(ctx, paths)
    files = require_files(paths) if paths else [_relative(workspace.journeys_dir)]
    journey_files = discover_journey_files(files)
    result = validate_files(journey_files, workspace)
    diagnostics += result.diagnostics
    click.echo(format_diagnostics(diagnostics, fmt, files=len(journey_files)))
    if fmt == "github":
        write_step_summary(diagnostics)
    failing = [d for d in diagnostics if d.is_error or strict]
    ctx.exit(1 if failing else 0)


def _relative(path: Path) -> Path:
    """Paths in reports as the user would type them: relative to where they stand."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path

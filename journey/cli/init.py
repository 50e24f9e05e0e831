"""`journey init [DIR]`: a workspace that validates, tests and runs, in one command."""

from __future__ import annotations

from pathlib import Path

import click

from journey.scaffold import create_workspace


@click.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Write the starter files into a non-empty folder.")
def command(directory: Path, force: bool) -> None:
    """Create a workspace in DIRECTORY (default: the current folder).

    It holds workspace.yaml, a journey with its template, Swedish translation
    and test, the JSON schemas (editor completion, offline), .gitignore with the
    state folder, a pre-commit config and a GitHub workflow running validate and
    test. A folder with files in it is refused unless --force.
    """
    written = create_workspace(directory, force=force)
    click.echo(f"created a workspace in {directory} ({len(written)} files)")
    click.echo("next: journey validate && journey test && journey run --once", err=False)

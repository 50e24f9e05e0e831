"""What several commands share: finding the workspace and compiling one journey file."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import click

from journey.compiler import compile_journey
from journey.errors import Diagnostic, UsageError
from journey.localtime import parse_instant
from journey.model import Plan
from journey.reporting import format_diagnostics
from journey.validator import ValidationResult, check_workspace, validate_files
from journey.workspace import Workspace, find_workspace_root

# Commands that open the state store take this; relative paths are the cwd's.
DATABASE_OPTION = click.option(
    "--database",
    "database",
    metavar="URL",
    default=None,
    help="State store: a SQLite path or sqlite:///path, or postgresql://user@host/db "
    "(default: JOURNEY_DATABASE_URL, else workspace.yaml's `database:`).",
)


def workspace_root(ctx: click.Context, paths: Sequence[str] = ()) -> Path:
    """`--workspace`, else the workspace of the first existing path named, else the cwd's."""
    obj = ctx.find_root().obj or {}
    near = next((Path(p) for p in paths if not p.startswith("git:") and Path(p).exists()), None)
    root = find_workspace_root(obj.get("workspace"), near=near)
    if not root.is_dir():
        raise UsageError(f"workspace folder {root} does not exist")
    return root


def open_workspace(
    ctx: click.Context, paths: Sequence[str] = ()
) -> tuple[Workspace, list[Diagnostic]]:
    """The workspace and the problems in its workspace.yaml."""
    workspace, diagnostics, _ = check_workspace(workspace_root(ctx, paths))
    return workspace, diagnostics


def require_files(paths: tuple[str, ...] | list[str]) -> list[Path]:
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    return [Path(p) for p in paths]


def compile_file(
    ctx: click.Context, path: str, *, templates: bool = True
) -> tuple[Plan, Workspace]:
    """Validate and compile one journey file; on problems print them and exit 1."""
    (file,) = require_files([path])
    if file.is_dir():
        raise UsageError(f"{path} is a folder; give one journey file")
    workspace, problems = open_workspace(ctx, [path])
    result: ValidationResult = validate_files([file], workspace, templates=templates)
    problems += result.diagnostics
    if any(d.is_error for d in problems):
        click.echo(format_diagnostics(problems, "text", files=1), err=True)
        ctx.exit(1)
    for warning in problems:
        click.echo(format_diagnostics([warning], "text").splitlines()[0], err=True)
    return compile_journey(result.documents[0], workspace), workspace


def echo_stdout(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def instant_option(text: str, flag: str) -> datetime:
    """An option's RFC 3339 instant (journey.localtime.parse_instant); a usage error if not."""
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise UsageError(f"{flag} {text!r}: {exc}") from None

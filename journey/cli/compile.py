"""`journey compile`: print the compiled plan, the version contacts will run."""

from __future__ import annotations

import json

import click
import yaml

from journey.cli.common import compile_file, echo_stdout
from journey.compiler import plan_to_dict


@click.command("compile")
@click.argument("file", type=click.Path(path_type=str))
@click.option(
    "--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True
)
@click.pass_context
def command(ctx: click.Context, file: str, fmt: str) -> None:
    """Print FILE's plan: resolved steps, durations as {calendar_days, seconds}, plan hash."""
    plan, _ = compile_file(ctx, file, templates=False)
    data = plan_to_dict(plan)
    if fmt == "json":
        echo_stdout(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        echo_stdout(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))

"""`journey graph`: the journey as a Mermaid or Graphviz diagram."""

from __future__ import annotations

import click

from journey.cli.common import compile_file, echo_stdout
from journey.diagram import to_dot, to_mermaid


@click.command("graph")
@click.argument("file", type=click.Path(path_type=str))
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True
)
@click.pass_context
def command(ctx: click.Context, file: str, fmt: str) -> None:
    """Print FILE's step graph (Mermaid renders in GitHub Markdown)."""
    plan, _ = compile_file(ctx, file, templates=False)
    echo_stdout(to_mermaid(plan) if fmt == "mermaid" else to_dot(plan))

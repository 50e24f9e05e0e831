"""`journey schema events|contacts`: the JSON Schema of what the workspace accepts at its door."""

from __future__ import annotations

import json
from pathlib import Path

import click

from journey.cli.common import echo_stdout, open_workspace
from journey.errors import UsageError
from journey.ingest.record_schema import contacts_schema, events_schema

_BUILDERS = {"events": events_schema, "contacts": contacts_schema}


@click.command("schema")
@click.argument("kind", type=click.Choice(sorted(_BUILDERS)))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the schema to this file instead of standard output.",
)
@click.pass_context
def command(ctx: click.Context, kind: str, out: Path | None) -> None:
    """Print the JSON Schema (2020-12) of an event or a contact, from workspace.yaml's declarations.

    `events:` gives the event names and property types, `contact_attributes:`
    the attribute types, `intake:` whether records off them are refused. A
    producer can check its payloads against it before sending.
    """
    workspace, _ = open_workspace(ctx)
    text = json.dumps(_BUILDERS[kind](workspace), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        echo_stdout(text.rstrip("\n"))
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from None

"""`journey deliveries requeue`: send parked (or dead, or unconfirmed) deliveries again.

Safe while the daemon runs: the rows it puts back are not claimed by anyone,
and the daemon picks them up on its next tick (SQLite WAL, one short write).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from journey.cli.common import echo_stdout, workspace_root
from journey.errors import UsageError


@click.group("deliveries")
def command() -> None:
    """Deliveries waiting for an operator: parked by an outage, dead-lettered, unconfirmed."""


@command.command("requeue")
@click.option("--channel", default=None, help="Only this channel's deliveries.")
@click.option(
    "--parked",
    "states",
    flag_value="parked",
    multiple=True,
    help="Transient failures that outlasted the retry schedule (the default).",
)
@click.option(
    "--dead",
    "states",
    flag_value="dead",
    multiple=True,
    help="Permanent refusals (5xx, 4xx): after fixing the cause.",
)
@click.option(
    "--unconfirmed",
    "states",
    flag_value="unconfirmed",
    multiple=True,
    help="Sent twice without an answer: sent once more, under the same Message-ID.",
)
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="State store to change (default: the workspace's).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def requeue_command(
    ctx: click.Context,
    channel: str | None,
    states: tuple[str, ...],
    database: Path | None,
    fmt: str,
) -> None:
    """Make parked deliveries due now with a fresh retry schedule (8 attempts).

    Several of `--parked`, `--dead`, `--unconfirmed` may be given; without any,
    `--parked`. Works while the daemon runs; it sends them on its next tick.
    """
    from journey.assembly import sqlite_store
    from journey.store.url import open_store
    from journey.workspace import load_workspace

    chosen = sorted(set(states) or {"parked"})
    path = database or load_workspace(workspace_root(ctx))[0].database_path
    if not path.exists():
        raise UsageError(f"no state store at {path}")
    store = sqlite_store(open_store(path), "journey deliveries requeue")
    try:
        count = store.requeue_deliveries(chosen, channel=channel)
    finally:
        store.close()
    if fmt == "json":
        echo_stdout(json.dumps({"requeued": count, "states": chosen, "channel": channel}))
    else:
        where = f" on channel {channel}" if channel else ""
        echo_stdout(f"requeued {count} {'/'.join(chosen)} deliveries{where}")
    ctx.exit(0)

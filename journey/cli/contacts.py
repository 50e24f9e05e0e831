"""`journey contacts import FILE.jsonl`: upsert (or erase) contacts in the workspace's store.

Same shell as `journey ingest`: streaming, batched, bad lines reported and
skipped. A changed contact can leave journeys (exit_when) and enter segment
journeys, so without a daemon the Runner applies the change here; with one
running, the change goes to the daemon's inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from journey.cli.common import DATABASE_OPTION
from journey.cli.ingest import (
    BATCH_OPTION,
    PROGRESS_OPTION,
    finish,
    ingest_session,
    kept_note,
    open_input,
    run_feed,
)
from journey.ingest import parse_contact
from journey.ingest.door import Door, door_for
from journey.intake import Parsed, contact_committer


def contact_parser(door: Door) -> Callable[[Any], Parsed]:
    """A line's record -> the change it asks for (held against the declarations) and the record."""

    def parse(obj: Any) -> Parsed:
        return door.contact(parse_contact(obj)), obj

    return parse


@click.group("contacts")
def command() -> None:
    """Manage the contacts in the workspace's store."""


@command.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str, allow_dash=True))
@PROGRESS_OPTION
@BATCH_OPTION
@DATABASE_OPTION
@click.pass_context
def import_command(
    ctx: click.Context, file: str, progress: bool | None, batch_size: int, database: str | None
) -> None:
    """Upsert contacts from JSON Lines (`-` for stdin); `{"id": ..., "delete": true}` erases one.

    Attributes merge key by key and `null` deletes one. An erased id is refused
    from then on (counted as refused), so nothing recreates the person. Exit 0
    when every line was good, 1 when some were bad (reported and skipped), 2
    for a usage error.
    """
    with open_input(file):
        pass  # a missing file is a usage error before the store is touched
    with ingest_session(ctx, with_runner=True, database=database) as session:
        door = door_for(session.workspace)
        summary = run_feed(
            file,
            parse=contact_parser(door),
            commit=contact_committer(session),
            progress=progress,
            label="importing contacts",
            batch_size=batch_size,
        )
        outcomes = summary.outcomes
        if outcomes["queued"]:
            parts = [f"{outcomes['queued']} queued for the running daemon"]
        else:
            parts = [
                f"{outcomes['created']} created",
                f"{outcomes['updated']} updated",
                f"{outcomes['deleted']} deleted",
            ]
        if outcomes["refused"]:
            parts.append(f"{outcomes['refused']} refused (erased contacts are not recreated)")
        finish(ctx, summary, parts + kept_note(door))

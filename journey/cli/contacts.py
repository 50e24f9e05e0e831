"""`journey contacts import FILE.jsonl`: upsert (or erase) contacts in the workspace's store.

Same shell as `journey ingest`: streaming, batched, bad lines reported and
skipped. A changed contact can leave journeys (exit_when) and enter segment
journeys, so without a daemon the Runner applies the change here; with one
running, the change goes to the daemon's inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import click

from journey.cli.common import DATABASE_OPTION
from journey.cli.ingest import (
    BATCH_OPTION,
    PROGRESS_OPTION,
    Session,
    finish,
    ingest_session,
    one_alone,
    open_input,
    run_feed,
)
from journey.daemon import inbox
from journey.erasure import clean_outboxes, workspace_outboxes
from journey.ingest import ContactChange, RecordError, parse_contact

Parsed = tuple[ContactChange, dict[str, Any]]


def contact_committer(session: Session) -> Callable[[list[Parsed]], list[str | RecordError]]:
    store, runner = session.store, session.runner

    def apply(change: ContactChange, erased: set[str]) -> str:
        assert runner is not None
        existed = store.get_contact(change.id) is not None
        if change.delete:
            runner.delete_contact(change.id)
            return "deleted" if existed else "absent"
        if change.id in erased:
            return "refused"
        runner.change_contact(change)
        return "updated" if existed else "created"

    def through_runner(batch: list[Parsed]) -> list[str | RecordError]:
        with store.transaction():
            erased = store.erased_among(change.id for change, _ in batch)
            outcomes = [one_alone(session, partial(apply, change, erased)) for change, _ in batch]
        if "deleted" in outcomes:
            clean_outboxes(store, workspace_outboxes(session.workspace))
        return outcomes

    def to_daemon(batch: list[Parsed]) -> list[str | RecordError]:
        erased = store.erased_among(change.id for change, _ in batch)
        kept = [record for change, record in batch if change.delete or change.id not in erased]
        inbox.enqueue_contacts(store, kept, session.clock.now())
        return [
            "queued" if change.delete or change.id not in erased else "refused"
            for change, _ in batch
        ]

    def either(batch: list[Parsed]) -> list[str | RecordError]:
        return to_daemon(batch) if session.daemon_running() else through_runner(batch)

    return either


def _parse(obj: Any) -> Parsed:
    return parse_contact(obj), obj


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
        summary = run_feed(
            file,
            parse=_parse,
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
        finish(ctx, summary, parts)

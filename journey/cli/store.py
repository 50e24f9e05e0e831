"""`journey store copy SOURCE TARGET`: move a SQLite store into PostgreSQL without losing work.

Both stores are locked as a daemon would lock them, so none runs on either
while rows move; the target must be an empty database. Afterwards point the
workspace at the target (`database:` or JOURNEY_DATABASE_URL) and start
`journey run`: waiting enrollments go on, pending deliveries are sent once,
sent ones never again.
"""

from __future__ import annotations

import json
from contextlib import ExitStack

import click

from journey.cli.common import echo_stdout
from journey.errors import UsageError


@click.group("store")
def command() -> None:
    """The state store itself: copy it to another database."""


@command.command("copy")
@click.argument("source", metavar="SQLITE_URL")
@click.argument("target", metavar="POSTGRES_URL")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="text: one summary line; json: rows copied per table.",
)
@click.pass_context
def copy_command(ctx: click.Context, source: str, target: str, fmt: str) -> None:
    """Copy every row of a SQLite store (path or sqlite:///path) into an empty PostgreSQL
    database (postgresql://…): contacts, events, plans, enrollments in flight, step history,
    deliveries, the inbox, trigger and journey state, tombstones and the store's keys.

    Stop the daemon first: the copy takes the daemon lock of both stores.
    """
    from journey.daemon.lock import daemon_lock
    from journey.store.url import is_postgres, open_store, shown, sqlite_path

    if is_postgres(source):
        raise UsageError(f"the source {shown(source)} must be a SQLite store (a path)")
    if not is_postgres(target):
        raise UsageError(f"the target {target} must be a postgresql:// URL")
    if not sqlite_path(source).is_file():
        raise UsageError(f"no SQLite store at {sqlite_path(source)}")
    from journey.store.copy import copy_store
    from journey.store.postgres import PostgresStore
    from journey.store.sqlite import SQLiteStore

    with ExitStack() as stack:
        for location in (source, target):
            lock = daemon_lock(location)
            lock.acquire()
            stack.callback(lock.release)
        reader = open_store(source)
        stack.callback(reader.close)
        writer = open_store(target)
        stack.callback(writer.close)
        assert isinstance(reader, SQLiteStore) and isinstance(writer, PostgresStore)
        report = copy_store(reader, writer)
    if fmt == "json":
        echo_stdout(
            json.dumps({"copied": report.rows, "source": shown(source), "target": shown(target)})
        )
    else:
        parts = ", ".join(f"{table} {rows}" for table, rows in report.rows.items())
        echo_stdout(f"copied {report.total} rows from {shown(source)} to {shown(target)}: {parts}")
    ctx.exit(0)

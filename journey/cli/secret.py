"""`journey secret rotate`: a new unsubscribe signing key; links already sent keep working.

The store made its first key itself; rotating adds one and retires the previous
one, which still verifies for 90 days (journey.unsubscribe.ROTATION_OVERLAP).
Safe while the daemon runs: it signs with the new key from its next tick on.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from journey.cli.common import DATABASE_OPTION, echo_stdout, workspace_root
from journey.errors import UsageError


@click.group("secret")
def command() -> None:
    """The store's own unsubscribe signing key."""


@command.command("rotate")
@DATABASE_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def rotate_command(ctx: click.Context, database: str | None, fmt: str) -> None:
    """Sign new unsubscribe links with a new random key.

    The previous key keeps verifying the links it signed for 90 days, then
    those links answer "this link does not work". Rotate when the key may have
    leaked (a copied database file); the key never leaves the store.
    """
    from journey.daemon.secret import rotate_key
    from journey.store.url import open_store, shown, store_exists
    from journey.workspace import load_workspace

    location = load_workspace(workspace_root(ctx))[0].store_url(database)
    if not store_exists(location):
        raise UsageError(f"no state store at {shown(location)}")
    store = open_store(location)
    try:
        until = rotate_key(store, datetime.now(UTC)).isoformat(timespec="seconds")
    finally:
        store.close()
    if fmt == "json":
        echo_stdout(json.dumps({"rotated": True, "previous_key_valid_until": until}))
    else:
        echo_stdout(f"new unsubscribe key in use; links signed before work until {until}")
    ctx.exit(0)

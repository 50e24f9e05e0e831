"""`journey secret rotate`: a new unsubscribe signing key; links already sent keep working.

The store made its first key itself; rotating adds one and retires the previous
one, which still verifies for 90 days (journey.unsubscribe.ROTATION_OVERLAP).
Safe while the daemon runs: it signs with the new key from its next tick on.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from journey.cli.common import echo_stdout, workspace_root
from journey.errors import UsageError


@click.group("secret")
def command() -> None:
    """The store's own unsubscribe signing key."""


@command.command("rotate")
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="State store whose key to rotate (default: the workspace's).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def rotate_command(ctx: click.Context, database: Path | None, fmt: str) -> None:
    """Sign new unsubscribe links with a new random key.

    The previous key keeps verifying the links it signed for 90 days, then
    those links answer "this link does not work". Rotate when the key may have
    leaked (a copied database file); the key never leaves the store.
    """
    from journey.store.sqlite import SQLiteStore
    from journey.unsubscribe import ROTATION_OVERLAP
    from journey.workspace import load_workspace

    path = database or load_workspace(workspace_root(ctx))[0].database_path
    if not path.exists():
        raise UsageError(f"no state store at {path}")
    now = datetime.now(UTC)
    store = SQLiteStore(path)
    try:
        store.rotate_unsubscribe_key(now)
    finally:
        store.close()
    until = (now + ROTATION_OVERLAP).isoformat(timespec="seconds")
    if fmt == "json":
        echo_stdout(json.dumps({"rotated": True, "previous_key_valid_until": until}))
    else:
        echo_stdout(f"new unsubscribe key in use; links signed before work until {until}")
    ctx.exit(0)

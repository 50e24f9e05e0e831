"""Erasure beyond the store: the outbox files lose every record of an erased person.

The store deletes the rows and keeps a tombstone per person
(journey.store.sqlite_erasure); a tombstone still marked "outboxes not clean"
names someone whose messages may still sit in an outbox file. Whoever erased
(the daemon, or `journey contacts import` without one) then rewrites each
outbox without the records whose contact id hashes to such a tombstone, and
marks them clean; a crash in between is finished by the next `journey run`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from journey.channels.base import ChannelImpl
from journey.channels.outbox import OutboxChannel, outbox_path
from journey.channels.outbox_file import rewrite_without
from journey.workspace import Workspace

if TYPE_CHECKING:
    from journey.store.url import SQLStore


def workspace_outboxes(workspace: Workspace) -> list[Path]:
    """The files the workspace's outbox channels write."""
    return [
        outbox_path(name, config.settings, root=workspace.root)
        for name, config in workspace.channels.items()
        if config.kind == "outbox"
    ]


def channel_outboxes(channels: Mapping[str, ChannelImpl]) -> list[Path]:
    return [c.path for c in channels.values() if isinstance(c, OutboxChannel)]


def clean_outboxes(store: SQLStore, paths: Iterable[Path]) -> int:
    """Rewrite each outbox without the erased people's records; returns the records removed."""
    tombstones = store.outbox_tombstones()
    if not tombstones:
        return 0
    removed = 0
    for path in dict.fromkeys(paths):
        removed += rewrite_without(
            path, lambda record: store.tombstone(str(record.get("contact_id", ""))) in tombstones
        )
    store.outboxes_cleaned(tombstones)
    return removed

"""What the daemon puts right at start, after erasures and when it stops: outbox records the
store missed, erased people still in outbox files, free space a busy reader kept from being
scrubbed, exchanges with peers cut short on a stop.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from journey.channels import OutboxChannel
from journey.channels.base import ChannelImpl
from journey.daemon.delivery import DeliveryWorker
from journey.daemon.logs import StateLog
from journey.erasure import channel_outboxes, clean_outboxes

if TYPE_CHECKING:
    from journey.store.url import SQLStore


def recover_written(
    store: SQLStore,
    channels: Mapping[str, ChannelImpl],
    worker: DeliveryWorker,
    log: StateLog,
    batch_size: int,
) -> int:
    """Deliveries an outbox holds but the store does not know were sent (a crash between the
    write and its record) are recorded as sent now, so a restart never writes them again.
    """
    paths: set[Path] = set()
    keys: list[str] = []
    for channel in channels.values():
        if isinstance(channel, OutboxChannel) and channel.path not in paths:
            paths.add(channel.path)
            # unrecorded at a crash: at most the last batch written (batch_size lines)
            keys += channel.written_keys(2 * batch_size)
            if channel.repaired_bytes:
                log.emit("repaired", file=str(channel.path), torn_bytes=channel.repaired_bytes)
    return worker.record_already_sent(keys)


def finish_erasures(store: SQLStore, channels: Mapping[str, ChannelImpl], log: StateLog) -> None:
    """Erased people leave the outbox files too; a scrub a reader blocked is redone."""
    removed = clean_outboxes(store, channel_outboxes(channels))
    if removed:
        log.emit("erased_from_outbox", records=removed)
    if store.unscrubbed() and not store.scrub():
        log.emit("error", error="erasure: the WAL stayed busy; scrubbing again later")


def abort_exchanges(channels: Mapping[str, ChannelImpl]) -> None:
    """Stopping: cut every exchange with a peer now (from any thread); nothing new starts."""
    for channel in list(channels.values()):
        abort = getattr(channel, "abort", None)
        if abort is not None:
            abort()

"""What the daemon puts right at start, after erasures and when it stops: outbox records the
store missed, erased people still in outbox files, free space a busy reader kept from being
scrubbed, exchanges with peers cut short on a stop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from journey.channels import OutboxChannel
from journey.channels.base import ChannelImpl
from journey.daemon.delivery import DeliveryWorker
from journey.daemon.logs import StateLog
from journey.erasure import channel_outboxes, clean_outboxes

if TYPE_CHECKING:
    from journey.store.url import SQLStore

# Clocks of the processes that share an outbox, and the moment a record is stamped (before
# the file lock), may differ by this much from the due times the store holds.
CLOCK_MARGIN = timedelta(minutes=1)


def recover_written(
    store: SQLStore,
    channels: Mapping[str, ChannelImpl],
    worker: DeliveryWorker,
    log: StateLog,
    shards: Sequence[int] | None = None,
) -> int:
    """Deliveries an outbox holds but the store does not know were sent (a crash between the
    write and its record) are recorded as sent now, so a restart never writes them again.

    In doubt are the deliveries still pending that some worker claimed (of `shards` only,
    when given: the ones just taken over); each outbox is read back from its end to the
    records written before the earliest of them fell due, so a busy file's other lines
    never push one out of reach."""
    outboxes: dict[Path, OutboxChannel] = {}
    for channel in channels.values():
        if isinstance(channel, OutboxChannel) and channel.path not in outboxes:
            outboxes[channel.path] = channel
    for channel in outboxes.values():
        cut = channel.repair()
        if cut:
            log.emit("repaired", file=str(channel.path), torn_bytes=cut)
    if not outboxes:
        return 0
    now = worker.clock.now()
    doubt = store.deliveries_in_doubt(now + CLOCK_MARGIN, shards)
    found: set[str] = set()
    if doubt:
        since = min(doubt.values()) - CLOCK_MARGIN
        for channel in outboxes.values():
            found |= channel.written_among(doubt.keys() - found, since)
    return worker.record_already_sent(sorted(found))


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

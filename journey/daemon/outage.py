"""The state store went away under the daemon (PostgreSQL restarting, a broken connection).

A tick that finds the store unreachable logs one line, `store_unavailable` with
the error and when it tries again, and the next attempts are spaced out
(0.5 s, 1 s, 2 s … up to 10 s) instead of failing five times a second. The
first tick that gets through puts right what the outage left half done, before
any new work (`Daemon.recover_from_outage`), and logs `store_reconnected`:

- outcomes the delivery worker knew but could not record (a message sent, then
  `mark_sent` lost with the connection) are recorded now, never sent again;
- outbox records the store missed are recorded as sent (as at a start);
- this worker's claims are handed back, so the work a failed tick had claimed is
  due at once instead of when its lease runs out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from journey.channels.base import ChannelImpl
from journey.daemon.delivery import DeliveryWorker
from journey.daemon.logs import StateLog
from journey.daemon.upkeep import recover_written

if TYPE_CHECKING:
    from journey.store.url import SQLStore

FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 10.0


class StoreOutage:
    """Failed attempts since the store was last reached, and when to try again."""

    def __init__(self, log: StateLog) -> None:
        self.log = log
        self.failures = 0
        self.down_since: float | None = None  # time.monotonic() of the first failure
        self.retry_at = 0.0

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def waiting(self) -> bool:
        """Too early for the next attempt?"""
        return self.down and time.monotonic() < self.retry_at

    def failed(self, error: BaseException, **fields: object) -> None:
        """One line for this failed attempt; the next one waits twice as long as this."""
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
        self.failures += 1
        delay = min(FIRST_RETRY_SECONDS * 2 ** (self.failures - 1), LAST_RETRY_SECONDS)
        self.retry_at = now + delay
        self.log.emit(
            "store_unavailable", error=str(error), attempt=self.failures, retry_in=delay, **fields
        )
        self.log.flush()

    def back(self, recover: Callable[[], Mapping[str, int]]) -> None:
        """The store answers again: put right what the outage left, then say so.

        `recover` raising (the store went again) counts as one more failed attempt."""
        if self.down_since is None:
            return
        done = recover()
        down = time.monotonic() - self.down_since
        self.log.emit(
            "store_reconnected",
            down_seconds=round(down, 1),
            attempts=self.failures,
            **{name: count for name, count in done.items() if count},
        )
        self.log.flush()
        self.failures, self.down_since, self.retry_at = 0, None, 0.0


def recover_after_outage(
    store: SQLStore,
    channels: Mapping[str, ChannelImpl],
    worker: DeliveryWorker,
    log: StateLog,
    shards: Sequence[int] | None,
) -> dict[str, int]:
    """Outcomes sent but not recorded are recorded (never resent), outbox records the store
    missed are marked sent, and the worker's claims are due again at once."""
    recorded = worker.record_unrecorded()
    recovered = recover_written(store, channels, worker, log, shards)
    released = store.release_claims(worker.worker)
    return {"recorded": recorded, "recovered_sent": recovered, "released_claims": released}

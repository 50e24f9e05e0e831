"""The StateStore contract, journey clock fires per shard (part of journey.store.abc)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import datetime

from journey.model import Contact
from journey.records import ShardFire


class ShardFires(ABC):
    # A journey clock's fire is pending work per shard (journey.engine.journey_clock): the
    # worker holding a shard does that shard's part, and whoever takes the shard over
    # finishes it. SQLite holds every shard; so does a PostgreSQL store not `sharded`.
    @abstractmethod
    def add_shard_fires(self, journey_id: str, fire_at: datetime, kind: str) -> int:
        """The fire pending on every shard; rows already there stay as they are (a racing
        second caller adds none). Finished fires of the journey before `fire_at` are
        forgotten. The count of rows added."""

    @abstractmethod
    def pending_shard_fires(
        self, journey_ids: Iterable[str], *, worker: str, limit: int
    ) -> list[ShardFire]:
        """Unfinished fires of these journeys on the shards `worker` holds, oldest first,
        each with the shard's lease."""

    @abstractmethod
    def next_in_shard_fire(
        self, fire: ShardFire, limit: int
    ) -> tuple[ShardFire, list[Contact]] | None:
        """Inside a transaction: the fire as stored, locked until the transaction ends
        (another caller waits), and the next `limit` contacts of its shard after `after`,
        in id order. None when finished or gone; `LeaseLost` if the shard changed hands."""

    @abstractmethod
    def save_shard_fire(self, fire: ShardFire) -> None:
        """Record its progress (`after`, `done_at`), checked against its lease (`LeaseLost`)."""

"""PostgreSQL store: an event id and a delivery key are stored once, without a unique index.

The history tables are partitioned by time, and a unique index on a partitioned
table must hold the partition column, so `events (id)` and `deliveries
(delivery_key)` cannot be unique indexes any more. Instead each insert takes a
transaction-scoped advisory lock on its key (a 32-bit hash in its own
namespace; two keys that share a hash only wait for each other) and inserts
only if no partition holds the key yet. The lock lasts until commit, and each
statement under READ COMMITTED sees what committed before it, so a second
inserter of the same key waits for the first and then finds its row.
Locks of a batch are taken in hash order, so two batches never deadlock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

EVENT_IDS = 0x4A524E01  # advisory lock namespaces (the first of the two int4 keys)
DELIVERY_KEYS = 0x4A524E02


def key_hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big", signed=True)


def lock_keys(conn: Any, namespace: int, keys: Iterable[str]) -> None:
    """Inside a transaction: hold every key's lock until it ends."""
    hashes = sorted({key_hash(key) for key in keys})
    if hashes:
        conn.execute(
            "SELECT COUNT(pg_advisory_xact_lock(%s, h))"
            " FROM (SELECT h FROM unnest(%s::integer[]) AS h ORDER BY h) AS ordered",
            (namespace, hashes),
        )

"""Virtual shards: which slice of the contacts a worker handles, and who that worker is.

Contacts are split into `SHARD_COUNT` shards by a stable hash of the contact
id (the first 32 bits of its MD5, modulo the count). The PostgreSQL store
computes the same number in SQL (`SHARD_SQL`) for the `shard` column of every
table whose rows are claimed, so Python and the database always agree. The
count is fixed when a store is created: the `shards` table holds one row per
shard, and moving a contact to another shard would split its history.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from datetime import timedelta

SHARD_COUNT = 64
DEFAULT_SHARD_LEASE = timedelta(seconds=15)  # renewed every 5 s; taken over within 15-20 s


def shard_of(contact_id: str) -> int:
    """The shard a contact belongs to, the same on every machine and in the database."""
    digest = hashlib.md5(contact_id.encode(), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16) % SHARD_COUNT


def shard_sql(expression: str) -> str:
    """The SQL of `shard_of` over a text expression (immutable: fit for a generated column)."""
    return f"(('x' || substr(md5({expression}), 1, 8))::bit(32)::bigint % {SHARD_COUNT})::int"


def worker_name() -> str:
    """A name no other `journey run` has: host, process id and a random suffix."""
    host = socket.gethostname().split(".")[0] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"

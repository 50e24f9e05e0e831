"""What a daemon is started with: `journey run`'s options and the demo's, as one record
(re-exported by journey.daemon.service, where its callers take it from)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from journey.channels.retry import RetryPolicy
from journey.logsetup import LogFormat
from journey.shards import DEFAULT_SHARD_LEASE


@dataclass(frozen=True, slots=True, kw_only=True)
class DaemonOptions:
    root: Path
    tick_seconds: float = 1.0
    log_format: LogFormat = "text"
    logs: bool = True
    batch_size: int = 500
    # overrides the workspace's `database:` and JOURNEY_DATABASE_URL (a path or a store URL)
    database: str | Path | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    tick_budget_seconds: float = 2.0  # a busy tick yields so reloads and stops get a turn
    # /healthz answers 503 when the work loop made no progress for this long.
    stall_seconds: float = 60.0
    # SIGTERM: exchanges in flight are aborted; past this the process exits anyway.
    stop_seconds: float = 10.0
    outbox: Path | None = None  # every channel writes here instead (the demo never sends)
    # PostgreSQL: how long a shard lease runs unrenewed (renewed every third of it)
    shard_lease: timedelta = DEFAULT_SHARD_LEASE
    workspace_overrides: Mapping[str, Any] = field(default_factory=dict)

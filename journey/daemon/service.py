"""The daemon's work, independent of what schedules it: open, tick, reload, close.

`journey run` calls `tick` from an APScheduler interval job on the real clock;
`journey run --demo` calls it in a loop on a virtual clock. Either way one
thread at a time does the store work, through the same shell `journey test`
uses (journey.engine.shell: the inbox, the runner, the delivery worker); the
daemon adds the lock, the live channels, hot reload and the logs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from journey.assembly import (
    workspace_channels,
    workspace_renderer,
    workspace_settings,
)
from journey.channels.base import ChannelImpl
from journey.clock import Clock, SystemClock
from journey.daemon.catalog import PlanCatalog, ReloadReport
from journey.daemon.delivery import DeliveryWorker
from journey.daemon.delivery_links import (
    UnsubscribeLinks,
    channel_unsubscribe_bases,
    replace_links,
)
from journey.daemon.lock import daemon_lock
from journey.daemon.logs import StateLog, log_exit, log_happening, log_reload
from journey.daemon.metrics import DaemonMetrics
from journey.daemon.migrate import exit_journey, migrate_journey
from journey.daemon.options import DaemonOptions as DaemonOptions
from journey.daemon.outage import StoreOutage, recover_after_outage
from journey.daemon.secret import key_ring
from journey.daemon.upkeep import abort_exchanges, finish_erasures, recover_written
from journey.engine.perform import Happening
from journey.engine.runner import Claims, Runner, StepParts
from journey.engine.shell import Shell, build_shell
from journey.engine.state import Enrollment
from journey.errors import StoreError
from journey.records import StoreUnavailable
from journey.shards import worker_name
from journey.store.identity import StoreReplaced
from journey.store.url import environment_errors, is_postgres, open_store, shown
from journey.unsubscribe import KeyRing
from journey.workspace import Workspace

if TYPE_CHECKING:
    from journey.daemon.lock import DaemonLock
    from journey.daemon.pg_lock import PostgresDaemonLock
    from journey.daemon.shard_keeper import ShardKeeper
    from journey.store.abc import StateStore
    from journey.store.url import SQLStore

WORKER = "daemon"  # the name its leases carry on SQLite (one daemon per file)
# A tick that fails with one of these found the store away, not a bug: see journey.daemon.outage.
UNAVAILABLE: tuple[type[BaseException], ...] = (StoreUnavailable, *environment_errors())


class Daemon:
    def __init__(
        self,
        options: DaemonOptions,
        *,
        clock: Clock | None = None,
        stream: TextIO | None = None,
        log_lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.options = options
        self.clock: Clock = clock or SystemClock()
        self.log = StateLog(
            fmt=options.log_format,
            stream=stream,
            now=self.clock.now,
            enabled=options.logs,
            lock=log_lock,
        )
        self.log.buffered = True  # flushed at the end of every tick and on close
        self.catalog = PlanCatalog(options.root, options.workspace_overrides)
        self.stopping = threading.Event()
        self.wake_requested = threading.Event()
        self.on_wake: Callable[[], None] | None = None
        self.last_tick_at: datetime | None = None
        self.progress_at = time.monotonic()  # the work loop's heartbeat
        self.fatal: str | None = None  # why the daemon must stop (its store is gone)
        self._busy = threading.Lock()
        self._lock: DaemonLock | PostgresDaemonLock | None = None
        # other connections to the store (the HTTP API's): closed before the lock is let go
        self.closers: list[Callable[[], None]] = []
        self.worker_name = WORKER
        self.shards: ShardKeeper | None = None  # PostgreSQL: this worker's shard leases
        self.channels: dict[str, ChannelImpl] = {}
        self.metrics = DaemonMetrics(clock=self.clock)
        self.outage = StoreOutage(self.log)

    # ------------------------------------------------------------------ opening

    @property
    def store(self) -> SQLStore:
        return self._store

    @property
    def runner(self) -> Runner:
        return self.shell.runner

    @property
    def worker(self) -> DeliveryWorker:
        return self.shell.worker

    def open(self) -> None:
        """Lock the database, load and validate the workspace, adopt plans, release stale leases."""
        first = self.catalog.load()
        workspace = self.catalog.workspace_or_fail
        self.database = workspace.store_url(self.options.database, self.options.env)
        self._lock = daemon_lock(self.database)
        self._lock.acquire()
        session = None
        if is_postgres(self.database):  # many workers: each its own name and shards
            from journey.store.postgres.connection import WorkerSession

            self.worker_name = worker_name()
            session = WorkerSession(self.worker_name, self.options.shard_lease.total_seconds())
        self._store = open_store(self.database, session=session)
        self.store.sharded = session is not None
        released = self.store.release_claims(self.worker_name)
        self.secret = self.unsubscribe_keys().current
        self.env = dict(self.options.env)
        self.renderer = workspace_renderer(workspace)
        self.shell: Shell = build_shell(
            store=self.store,
            plans=self.catalog.plans,
            clock=self.clock,
            parts=StepParts(
                renderer=self.renderer,
                settings=workspace_settings(workspace),
                unsubscribe_secret=self.secret,
            ),
            channels={},
            claims=Claims(worker=self.worker_name, batch_size=self.options.batch_size),
            retry=self.options.retry,
            log=self.log,
            listener=self._on_happening,
            on_result=self.metrics.delivered,
            after_erasure=lambda: finish_erasures(self.store, self.channels, self.log),
            stopping=self.stopping,
        )
        self._adopt_channels(workspace)
        if self.store.sharded:
            from journey.daemon.shard_keeper import ShardKeeper

            self.shards = ShardKeeper(
                str(self.database), self.worker_name, self.log, lease=self.options.shard_lease
            )
            self.shards.start()
            self.worker.holds_shard = self.shards.holds
        recovered = recover_written(
            self.store, self.channels, self.worker, self.log, self._held_shards()
        )
        finish_erasures(self.store, self.channels, self.log)
        log_reload(self.log, first, "start", journeys=len(self.catalog.plans))
        self._apply(first)
        self.log.emit(
            "started",
            database=shown(self.database),
            worker=self.worker_name,
            shards=len(self.shards.held()) if self.shards else None,
            journeys=len(self.catalog.plans),
            released_claims=released or None,
            recovered_sent=recovered or None,
        )
        self.log.flush()

    def unsubscribe_keys(self, store: StateStore | None = None) -> KeyRing:
        """The store's key ring (journey.daemon.secret): the newest key signs."""
        return key_ring(store or self.store, self.options.env, self.clock.now())

    def _refresh_signing_key(self) -> None:
        """`journey secret rotate` ran beside the daemon: sign with the new key from now on."""
        current = self.unsubscribe_keys().current
        if current != self.secret:
            self.secret = current
            self.runner.unsubscribe_secret = current
            self.worker.links = replace_links(self.worker.links, secret=current)
            self.log.emit("key_rotated")

    def _adopt_channels(self, workspace: Workspace) -> None:
        """The workspace's channels, and the links they carry: each channel's own base."""
        old = self.channels
        self.channels = workspace_channels(
            workspace,
            env=self.env,
            clock=self.clock,
            outbox=self.options.outbox,
            message_id_scope=self.store.database_id(),
        )
        bases = channel_unsubscribe_bases(self.channels)
        self.runner.settings = replace(
            workspace_settings(workspace), channel_unsubscribe_base_urls=bases
        )
        self.worker.links = UnsubscribeLinks(
            secret=self.secret,
            base_url=self.runner.settings.unsubscribe_base_url,
            channel_bases=bases,
        )
        self.worker.channels = dict(self.channels)
        self.worker.set_rate_limits(
            {name: config.rate_limit for name, config in workspace.channels.items()}
        )
        self.metrics.configure(self.channels)
        for channel in old.values():
            channel.close()

    # ------------------------------------------------------------------ ticking

    def tick(self) -> int:
        """Do what is due now, in batches, until nothing is or the budget is spent.

        A store that cannot be reached is one log line, and the next tick waits (backoff);
        the first one that reaches it again recovers what the outage left half done."""
        if self.outage.waiting():
            return 0
        try:
            self.outage.back(self.recover_from_outage)
            return self._tick()
        except StoreReplaced as exc:
            self._give_up(str(exc))
            return 0
        except UNAVAILABLE as exc:
            self.outage.failed(exc)
            return 0

    def recover_from_outage(self) -> Mapping[str, int]:
        """What a store outage left half done, put right (journey.daemon.outage)."""
        with self._busy:
            return recover_after_outage(
                self.store, self.channels, self.worker, self.log, self._held_shards()
            )

    def _held_shards(self) -> list[int] | None:
        """The shards this worker holds now (None on SQLite: all of them)."""
        return None if self.shards is None else sorted(self.shards.held())

    def check_store(self) -> str | None:
        """Is the database file still the one opened? If not, stop: see `fatal`."""
        problem = self.store.identity_problem()
        if problem is None and self._lock is not None and self._lock.lost():
            problem = (
                f"the daemon lock on {shown(self.database)} was lost to another daemon; "
                "stopping so that two never work on one database"
            )
        if problem is not None:
            self._give_up(problem)
        return self.fatal

    def _give_up(self, problem: str) -> None:
        if self.fatal is None:
            self.fatal = problem
            self.log.emit("error", error=problem)
            self.log.flush()
        self.stopping.set()

    def _tick(self) -> int:
        with self._busy:
            deadline = time.monotonic() + self.options.tick_budget_seconds
            total = 0
            self._refresh_signing_key()
            unbalanced = self._rebalance()
            while not self.stopping.is_set():
                self.wake_requested.clear()
                work = self.shell.run_once(self.clock.now())
                self.progress_at = time.monotonic()
                total += work
                if work == 0 and not self.wake_requested.is_set():
                    break
                if time.monotonic() > deadline:
                    break
            if unbalanced is not None:  # the store answered: the keeper's own trouble
                self.log.emit(
                    "error", worker=self.worker_name, error=f"shard rebalance: {unbalanced}"
                )
            self.last_tick_at = self.clock.now()
            self.metrics.last_tick_at = time.time()
            self.log.flush()
            return total

    def _rebalance(self) -> StoreError | None:
        """Many workers: a fair share of the shards; what the old holder wrote is recorded.
        The database unreachable now: the error (asked again at the next tick)."""
        if self.shards is None:
            return None
        try:
            self.shards.rebalance(
                after_taking=lambda taken: recover_written(
                    self.store, self.channels, self.worker, self.log, taken
                )
            )
        except StoreError as exc:  # logged by the tick, once it knows whether the store is away
            return exc
        return None

    def stalled_seconds(self) -> float:
        """Seconds since the work loop or the delivery worker last made progress."""
        beat = max(self.progress_at, self.worker.progress_at)
        return max(time.monotonic() - beat, 0.0)

    def abort_exchanges(self) -> None:
        """Stopping: cut every exchange with a peer now (from any thread); nothing new starts."""
        self.stopping.set()
        abort_exchanges(self.channels)

    def busy(self) -> threading.Lock:
        """Held while store work runs; other threads take it to do store work safely."""
        return self._busy

    def wake(self) -> None:
        """Ask for a tick now (new events); coalesces with a tick already running."""
        if self.wake_requested.is_set():
            return
        self.wake_requested.set()
        if self.on_wake is not None:
            self.on_wake()

    # ------------------------------------------------------------------ reloading

    def reload(self, reason: str) -> ReloadReport:
        """Re-validate and adopt what is good; the caller makes sure no tick runs meanwhile."""
        with self._busy:
            previous = self.catalog.workspace
            report = self.catalog.load()
            log_reload(self.log, report, reason, journeys=len(self.catalog.plans))
            workspace = self.catalog.workspace_or_fail
            if workspace is not previous:
                self._adopt_channels(workspace)  # and with them the settings and links
                self.renderer.reload()
            self._apply(report)
            self.log.flush()
            return report

    def poll_reload(self) -> None:
        if self.catalog.changed_on_disk():
            self.reload("file change")

    def _apply(self, report: ReloadReport) -> None:
        now = self.clock.now()
        self.runner.set_plans(self.catalog.plans)  # and with them, which events matter
        for journey_id in report.removed:
            exit_journey(self.store, journey_id, "journey_removed", now, self._exited)
        for journey_id in report.changed:
            plan = self.catalog.plans[journey_id]
            if plan.on_change == "migrate" and plan.status != "archived":
                moved, removed = migrate_journey(self.store, plan, now, self._exited)
                self.log.emit("migrated", journey=journey_id, moved=moved, step_removed=removed)
        self.runner.activate(now)

    def _on_happening(self, happening: Happening) -> None:
        log_happening(self.log, happening)
        arrived = self.shell.arrived_at  # the inbox item being processed, if one is
        if happening.kind == "send" and happening.message is not None and arrived is not None:
            self.metrics.queued(happening.message.delivery_key, arrived)

    def _exited(self, enrollment: Enrollment, reason: str) -> None:
        log_exit(self.log, enrollment, reason)

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Finish the running tick, hand back unfinished leases, close channels and the lock."""
        self.stopping.set()
        with self._busy:
            if self._lock is None:
                return
            # a deleted or replaced store takes no more writes, not even this one
            released = 0 if self.fatal else self.store.release_claims(self.worker_name)
            if self.shards is not None:
                self.shards.stop()
            for channel in self.channels.values():
                channel.close()
            self.store.close()
            for closer in self.closers:  # SQLite: the lock's descriptor closes after every one
                closer()
            self.log.emit(
                "stopped",
                released_claims=released or None,
                transitions=self.runner.transitions,
                cpu_seconds=round(time.process_time(), 3),
            )
            self.log.flush()
            self._lock.release()
            self._lock = None

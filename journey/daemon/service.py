"""The daemon's work, independent of what schedules it: open, tick, reload, close.

`journey run` calls `tick` from an APScheduler interval job on the real clock;
`journey run --demo` calls it in a loop on a virtual clock. Either way one
thread at a time does the store work: the inbox (acknowledged events and
contact changes), the runner (time triggers, due enrollments) and the
delivery worker.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from journey.channels import OutboxChannel, build_channel
from journey.channels.base import ChannelImpl
from journey.channels.retry import RetryPolicy
from journey.clock import Clock, SystemClock
from journey.compiler import plan_to_dict
from journey.daemon import inbox
from journey.daemon.catalog import PlanCatalog, ReloadReport
from journey.daemon.delivery import (
    DeliveryWorker,
    UnsubscribeLinks,
    channel_unsubscribe_bases,
    replace_links,
)
from journey.daemon.lock import DaemonLock
from journey.daemon.logs import StateLog
from journey.daemon.metrics import DaemonMetrics
from journey.daemon.migrate import exit_journey, migrate_journey
from journey.daemon.upkeep import finish_erasures, recover_written
from journey.engine.context import EngineSettings, unsubscribe_base_url
from journey.engine.perform import Happening, MemorySink
from journey.engine.runner import Runner
from journey.engine.state import Enrollment
from journey.ingest import apply_contact_change, parse_contact
from journey.logsetup import LogFormat
from journey.model import Channel, Plan
from journey.renderer import Renderer
from journey.reporting import as_json
from journey.store.abc import InboxItem
from journey.store.identity import StoreReplaced
from journey.store.sqlite import SQLiteStore
from journey.unsubscribe import ROTATION_OVERLAP, SECRET_ENV, KeyRing
from journey.workspace import Workspace

_HAPPENING_LOG = {
    "enter": "enrolled",
    "send": "step",
    "skip": "step",
    "webhook": "step",
    "exit": "exited",
    "convert": "converted",
    "fail": "failed",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class DaemonOptions:
    root: Path
    tick_seconds: float = 1.0
    log_format: LogFormat = "text"
    logs: bool = True
    batch_size: int = 500
    database: Path | None = None  # overrides the workspace's (the demo's own database)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    tick_budget_seconds: float = 2.0  # a busy tick yields so reloads and stops get a turn
    # /healthz answers 503 when the work loop made no progress for this long.
    stall_seconds: float = 60.0
    # SIGTERM: exchanges in flight are aborted; past this the process exits anyway.
    stop_seconds: float = 10.0
    outbox: Path | None = None  # every channel writes here instead (the demo never sends)
    workspace_overrides: Mapping[str, Any] = field(default_factory=dict)


def reacts_to_outcomes(plans: Iterable[Plan]) -> bool:
    """Does any journey trigger on, wait for, exit on or convert on a delivery outcome?"""
    names = ('"journey.sent"', '"journey.failed"')
    for plan in plans:
        text = json.dumps(plan_to_dict(plan), default=str)
        if any(name in text for name in names):
            return True
    return False


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
        self._lock: DaemonLock | None = None
        self.channels: dict[str, ChannelImpl] = {}
        self.metrics = DaemonMetrics(clock=self.clock)
        self._arrived_at: datetime | None = None  # the inbox item being processed arrived then

    # ------------------------------------------------------------------ opening

    def open(self) -> None:
        """Lock the database, load and validate the workspace, adopt plans, release stale leases."""
        first = self.catalog.load()
        workspace = self.catalog.workspace_or_fail
        self.database = self.options.database or workspace.database_path
        self._lock = DaemonLock(self.database)
        self._lock.acquire()
        self.store = SQLiteStore(self.database)
        released = self.store.release_claims()
        self.secret = self.unsubscribe_keys().current
        self.env = dict(self.options.env)
        self.renderer = Renderer(
            workspace.templates_dir,
            workspace.locales_dir,
            default_timezone=workspace.default_timezone,
            declared_attributes=tuple(workspace.contact_attributes or ()),
        )
        self.runner = Runner(
            self.store,
            self.catalog.plans,
            self.renderer,
            self.clock,
            MemorySink(keep=False),
            EngineSettings.from_workspace(workspace),
            worker="daemon",
            batch_size=self.options.batch_size,
            deliver_inline=False,
            outcome_events=False,
            listener=self._on_happening,
            unsubscribe_secret=self.secret,
        )
        self.worker = DeliveryWorker(
            store=self.store,
            channels={},
            clock=self.clock,
            policy=self.options.retry,
            links=UnsubscribeLinks(secret=self.secret, base_url=self.unsubscribe_base(workspace)),
            log=self.log,
            on_result=self.metrics.delivered,
            worker="daemon",
            batch_size=self.options.batch_size,
            outcomes_via_inbox=True,
            on_webhook_outcome=self.runner.webhook_outcome,
            stopping=self.stopping,
        )
        self._adopt_channels(workspace)
        recovered = recover_written(
            self.store, self.channels, self.worker, self.log, self.options.batch_size
        )
        finish_erasures(self.store, self.channels, self.log)
        self._report_reload(first, "start")
        self._apply(first)
        self.log.emit(
            "started",
            database=str(self.database),
            journeys=len(self.catalog.plans),
            released_claims=released or None,
            recovered_sent=recovered or None,
        )
        self.log.flush()

    def unsubscribe_base(self, workspace: Workspace) -> str:
        return unsubscribe_base_url(workspace)

    def unsubscribe_keys(self, store: SQLiteStore | None = None) -> KeyRing:
        """The store's keys (the newest signs); `JOURNEY_SECRET`, if set, still verifies.

        Links signed before the store had its own key were signed with that
        variable; they keep working while it is set. It never signs new links.
        """
        ring = (store or self.store).unsubscribe_keys(self.clock.now(), ROTATION_OVERLAP)
        legacy = self.options.env.get(SECRET_ENV, "").encode()
        if legacy and legacy not in ring.accepted:
            return KeyRing(current=ring.current, accepted=(*ring.accepted, legacy))
        return ring

    def _refresh_signing_key(self) -> None:
        """`journey secret rotate` ran: sign from now on with the new key."""
        current = self.store.unsubscribe_keys(self.clock.now(), ROTATION_OVERLAP).current
        if current != self.secret:
            self.secret = current
            self.runner.unsubscribe_secret = current
            self.worker.links = replace_links(self.worker.links, secret=current)
            self.log.emit("key_rotated")

    def _adopt_channels(self, workspace: Workspace) -> None:
        old = self.channels
        self.channels = {
            name: self._build_channel(config, workspace)
            for name, config in workspace.channels.items()
        }
        bases = channel_unsubscribe_bases(self.channels)
        self.runner.settings = replace(
            EngineSettings.from_workspace(workspace), channel_unsubscribe_base_urls=bases
        )
        self.worker.links = UnsubscribeLinks(
            secret=self.secret, base_url=self.unsubscribe_base(workspace), channel_bases=bases
        )
        self.worker.channels = dict(self.channels)
        self.worker.set_rate_limits(
            {name: config.rate_limit for name, config in workspace.channels.items()}
        )
        self.metrics.configure(self.channels)
        for channel in old.values():
            channel.close()

    def _build_channel(self, config: Channel, workspace: Workspace) -> ChannelImpl:
        if self.options.outbox is not None:
            return OutboxChannel(
                name=config.name, path=self.options.outbox, fsync=False, clock=self.clock
            )
        return build_channel(
            config,
            root=workspace.root,
            env=self.env,
            clock=self.clock,
            unsubscribe_base_url=workspace.unsubscribe_base_url,
            message_id_scope=self.store.database_id(),
        )

    # ------------------------------------------------------------------ ticking

    def tick(self) -> int:
        """Do what is due now, in batches, until nothing is or the budget is spent."""
        try:
            return self._tick()
        except StoreReplaced as exc:
            self._give_up(str(exc))
            return 0

    def check_store(self) -> str | None:
        """Is the database file still the one opened? If not, stop: see `fatal`."""
        problem = self.store.identity_problem()
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
            while not self.stopping.is_set():
                self.wake_requested.clear()
                work = self._drain_inbox()
                work += self.runner.run_due(self.clock.now(), limit=self.options.batch_size)
                work += len(self.worker.run_due())
                self.progress_at = time.monotonic()
                total += work
                if work == 0 and not self.wake_requested.is_set():
                    break
                if time.monotonic() > deadline:
                    break
            self.last_tick_at = self.clock.now()
            self.metrics.last_tick_at = time.time()
            self.log.flush()
            return total

    def stalled_seconds(self) -> float:
        """Seconds since the work loop or the delivery worker last made progress."""
        beat = max(self.progress_at, self.worker.progress_at)
        return max(time.monotonic() - beat, 0.0)

    def abort_exchanges(self) -> None:
        """Stopping: cut every exchange with a peer now (from any thread); nothing new starts."""
        self.stopping.set()
        for channel in list(self.channels.values()):
            abort = getattr(channel, "abort", None)
            if abort is not None:
                abort()

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

    def _drain_inbox(self) -> int:
        items = self.store.inbox_batch(self.options.batch_size)
        if not items:
            return 0
        with self.store.transaction():
            self._read_ahead(items)
            for item in items:
                self._arrived_at = item.received_at  # where a message's latency starts
                try:
                    with self.store.savepoint():
                        self._process(item)
                except Exception as exc:  # one bad item must not block the inbox
                    self.runner.abandon()
                    kept = self._keep_data(item)
                    self.log.emit("error", item=inbox.describe(item), error=str(exc), kept=kept)
            self._arrived_at = None
            self.store.remove_from_inbox([item.seq for item in items])
        if any(item.kind == inbox.DELETE_CONTACT for item in items):
            finish_erasures(self.store, self.channels, self.log)
        return len(items)

    def _read_ahead(self, items: list[InboxItem]) -> None:
        """One read of the batch's contacts and enrollments instead of three per event."""
        events = []
        for item in items:
            if item.kind == inbox.EVENT:
                try:
                    events.append(inbox.event_from_body(item.body, item.received_at))
                except Exception:  # a bad item is reported when it is processed
                    continue
        self.runner.read_ahead(events)

    def _keep_data(self, item: InboxItem) -> bool:
        """After an item failed and its journey work was undone, still store what it said.

        The event goes in as history (its id stays seen, segments and
        `has_event` count it) and a contact change is applied without running
        triggers, so an accepted item is never lost; the error line says the
        journeys did not react to it.
        """
        try:
            with self.store.savepoint():
                if item.kind == inbox.EVENT:
                    event = inbox.event_from_body(item.body, item.received_at)
                    self.runner.handle_event(event, history_only=True)
                elif item.kind == inbox.CONTACT:
                    change = parse_contact(item.body)
                    old = self.store.get_contact(change.id)
                    contact = apply_contact_change(old, change, now=item.received_at)
                    if contact is not None:
                        self.store.put_contact(contact)
                else:
                    self.store.delete_contact(str(item.body["id"]))
        except Exception:  # the item itself is unreadable: the error line is all there is
            return False
        return True

    def _process(self, item: InboxItem) -> None:
        if inbox.about_erased(self.store, item):
            self.log.emit("refused", item=item.kind, reason="the contact was erased")
            return
        if item.kind == inbox.EVENT:
            self.runner.handle_event(inbox.event_from_body(item.body, item.received_at))
        elif item.kind == inbox.CONTACT:
            self.runner.upsert_contact(item.body, item.received_at)
        elif item.kind == inbox.DELETE_CONTACT and self.runner.delete_contact(str(item.body["id"])):
            self.log.emit("deleted", contact=item.body["id"])

    # ------------------------------------------------------------------ reloading

    def reload(self, reason: str) -> ReloadReport:
        """Re-validate and adopt what is good; the caller makes sure no tick runs meanwhile."""
        with self._busy:
            previous = self.catalog.workspace
            report = self.catalog.load()
            self._report_reload(report, reason)
            workspace = self.catalog.workspace_or_fail
            if workspace is not previous:
                self._adopt_channels(workspace)
                self.renderer.reload()
            self._apply(report)
            self.log.flush()
            return report

    def poll_reload(self) -> None:
        if self.catalog.changed_on_disk():
            self.reload("file change")

    def _apply(self, report: ReloadReport) -> None:
        now = self.clock.now()
        self.runner.set_plans(self.catalog.plans)
        # journey.sent/failed go through the runner only when some journey listens to them.
        self.worker.outcomes_via_inbox = reacts_to_outcomes(self.catalog.plans.values())
        for journey_id in report.removed:
            exit_journey(self.store, journey_id, "journey_removed", now, self._exited)
        for journey_id in report.changed:
            plan = self.catalog.plans[journey_id]
            if plan.on_change == "migrate" and plan.status != "archived":
                moved, removed = migrate_journey(self.store, plan, now, self._exited)
                self.log.emit("migrated", journey=journey_id, moved=moved, step_removed=removed)
        self.runner.activate(now)

    def _report_reload(self, report: ReloadReport, reason: str) -> None:
        for path, problems in sorted(report.broken.items()):
            self.log.emit("invalid", file=path, problems=len(problems), first=problems[0])
        for problem in report.workspace_broken:
            self.log.emit("invalid", file="workspace.yaml", first=problem)
        for diagnostic in report.diagnostics:
            self.log.emit("diagnostic", **as_json(diagnostic))
        self.log.emit(
            "reload",
            reason=reason,
            journeys=len(self.catalog.plans),
            added=",".join(report.added) or None,
            changed=",".join(report.changed) or None,
            removed=",".join(report.removed) or None,
            kept_last_good=",".join(report.kept) or None,
        )

    # ------------------------------------------------------------------ logging

    def _on_happening(self, happening: Happening) -> None:
        event = _HAPPENING_LOG.get(happening.kind, happening.kind)
        fields: dict[str, Any] = {
            "journey": happening.journey_id,
            "contact": happening.contact_id,
            "step": happening.step_id or None,
            "reason": happening.reason or None,
        }
        if happening.kind == "send":
            fields["outcome"] = "queued"
            if happening.message is not None and self._arrived_at is not None:
                self.metrics.queued(happening.message.delivery_key, self._arrived_at)
        elif happening.kind == "skip":
            fields["outcome"] = happening.reason
            fields["reason"] = None
        self.log.emit(event, **fields)

    def _exited(self, enrollment: Enrollment, reason: str) -> None:
        self.log.emit(
            "exited",
            journey=enrollment.journey_id,
            contact=enrollment.contact_id,
            step=enrollment.step_id,
            reason=reason,
        )

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Finish the running tick, hand back unfinished leases, close channels and the lock."""
        self.stopping.set()
        with self._busy:
            if self._lock is None:
                return
            # a deleted or replaced store takes no more writes, not even this one
            released = 0 if self.fatal else self.store.release_claims()
            for channel in self.channels.values():
                channel.close()
            self.store.close()
            self.log.emit("stopped", released_claims=released or None)
            self.log.flush()
            self._lock.release()
            self._lock = None

"""The one shell around the engine: inbox, runner and delivery worker over one store.

`journey run`, `journey run --demo`, `journey test`, `journey simulate` and the
site's forecast all drive a `Shell`; they differ only in the clock (real or
virtual) and the channels (the workspace's, an outbox, or in-memory ones).
One round of work is always the same three parts, in this order:

1. the inbox: acknowledged events and contact changes, and the delivery
   outcomes (`journey.sent`/`journey.failed`) some journey reacts to — which
   ones is the runner's answer (`Runner.matters`, from journey.engine.interest);
2. the runner: time triggers, then due enrollments, through the pure engine;
3. the delivery worker: due deliveries to the channels, one send-time gate,
   one retry policy, one builder of outcome events.

Virtual-clock callers use `run_until` (journey.engine.timeline); the daemon
calls `run_once` under its tick budget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from journey.channels.base import ChannelImpl
from journey.channels.retry import RetryPolicy
from journey.clock import Clock
from journey.daemon import inbox
from journey.daemon.delivery import DeliveryWorker
from journey.daemon.delivery_links import UnsubscribeLinks
from journey.daemon.delivery_results import DeliveryResult
from journey.daemon.logs import StateLog
from journey.engine.handoff import WrittenDeliveries
from journey.engine.perform import Listener
from journey.engine.runner import DEFAULT_CLAIMS, Claims, Runner, StepParts
from journey.ingest import apply_contact_change, parse_contact
from journey.model import Plan
from journey.records import InboxItem, LeaseLost, StoreUnavailable

if TYPE_CHECKING:  # the shell applies decisions to a store; it needs only the contract
    from journey.store.abc import StateStore

# A virtual-clock round that keeps finding work at one instant is a loop in the
# journeys (a journey that sends on every journey.sent); stop it there.
MAX_ROUNDS_AT_ONE_INSTANT = 10_000


class Shell:
    """Applies the engine's decisions to a store and hands sends to channels."""

    def __init__(
        self,
        *,
        store: StateStore,
        runner: Runner,
        worker: DeliveryWorker,
        log: StateLog,
        batch_size: int = 500,
        after_erasure: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.runner = runner
        self.worker = worker
        self.log = log
        self.batch_size = batch_size
        self.after_erasure = after_erasure
        # When the inbox item being processed arrived (None between items): where the
        # latency of the messages it causes starts (the daemon's /metrics).
        self.arrived_at: datetime | None = None

    @property
    def clock(self) -> Clock:
        return self.runner.clock

    # ------------------------------------------------------------------ rounds

    def run_once(self, now: datetime | None = None) -> int:
        """One round: a batch of the inbox, of due enrollments, of due deliveries."""
        work = self.drain_inbox()
        work += self.runner.run_due(now or self.clock.now(), limit=self.batch_size)
        work += len(self.worker.run_due())
        return work

    def run_due(self, now: datetime) -> int:
        """Every round there is work for at `now` (virtual clocks); returns steps advanced."""
        before = self.runner.transitions
        for _ in range(MAX_ROUNDS_AT_ONE_INSTANT):
            work = self.drain_inbox()
            work += self.runner.run_due(now)
            work += len(self.worker.run_due())
            if work == 0:
                break
        return self.runner.transitions - before

    def next_due_at(self) -> datetime | None:
        """When there is next work: now while the inbox holds items, else what the store says."""
        if self.store.inbox_size():
            return self.clock.now()
        return self.runner.next_due_at()

    # ------------------------------------------------------------------ the inbox

    def drain_inbox(self) -> int:
        """A claimed batch of the inbox, processed in one transaction, removed with it."""
        now = self.clock.now()
        items = self.store.claim_inbox(
            now, self.batch_size, worker=self.runner.worker, lease_until=now + self.runner.lease
        )
        if not items:
            return 0
        try:
            self._process_batch(items)
        except LeaseLost as exc:  # another worker took the batch over: all of it undone here
            self.log.emit("lease_lost", error=str(exc))
            return 0
        except BaseException:  # undone: the items are due again at the next round, not in 5 min
            self._hand_back(items)
            raise
        if self.after_erasure is not None and any(
            item.kind == inbox.DELETE_CONTACT for item in items
        ):
            self.after_erasure()
        return len(items)

    def _process_batch(self, items: list[InboxItem]) -> None:
        try:
            self._process_items(items)
        except BaseException:  # the whole batch undone
            self.runner.writes_undone()
            raise

    def _process_items(self, items: list[InboxItem]) -> None:
        with self.store.transaction():
            self._read_ahead(items)
            for item in items:
                self.arrived_at = item.received_at
                try:
                    with self.store.savepoint():
                        self._process(item)
                except StoreUnavailable:  # not the item: every one after it would fail too
                    raise
                except Exception as exc:  # one bad item must not block the inbox
                    self.runner.writes_undone()  # the item's writes were
                    kept = self._keep_data(item)
                    self.log.emit("error", item=inbox.describe(item), error=str(exc), kept=kept)
                finally:
                    self.arrived_at = None
            self.store.remove_from_inbox(items)

    def _hand_back(self, items: list[InboxItem]) -> None:
        try:
            self.store.release_inbox(items)
        except Exception:  # the store itself failed (the raised error says why): leases expire
            return

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
        except StoreUnavailable:
            raise
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


def build_shell(
    *,
    store: StateStore,
    plans: Mapping[str, Plan],
    clock: Clock,
    parts: StepParts,
    channels: Mapping[str, ChannelImpl],
    claims: Claims = DEFAULT_CLAIMS,
    retry: RetryPolicy | None = None,
    log: StateLog | None = None,
    listener: Listener | None = None,
    on_result: Callable[[DeliveryResult], None] | None = None,
    after_erasure: Callable[[], None] | None = None,
    stopping: threading.Event | None = None,
    delivers: bool = True,
) -> Shell:
    """The only place a Runner and a DeliveryWorker are made: every shell is this one.

    `delivers=False`: this shell's worker never runs (`journey ingest` without a daemon
    leaves the deliveries pending for one), so its runner hands it nothing."""
    # the runner's new deliveries, for the worker's claims (journey.engine.handoff)
    written = WrittenDeliveries() if delivers else None
    runner = Runner(store, plans, clock, parts, claims, listener=listener, written=written)
    log = log or StateLog(now=clock.now, enabled=False)
    worker = DeliveryWorker(
        store=store,
        channels=channels,
        clock=clock,
        policy=retry,
        links=UnsubscribeLinks(
            secret=parts.unsubscribe_secret,
            base_url=parts.settings.unsubscribe_base_url,
            channel_bases=parts.settings.channel_unsubscribe_base_urls,
        ),
        log=log,
        worker=claims.worker,
        batch_size=claims.batch_size,
        lease=claims.lease,
        on_result=on_result,
        reacts_to=runner.matters,
        on_webhook_outcome=runner.webhook_outcome,
        stopping=stopping,
        written=written,
    )
    return Shell(
        store=store,
        runner=runner,
        worker=worker,
        log=log,
        batch_size=claims.batch_size,
        after_erasure=after_erasure,
    )

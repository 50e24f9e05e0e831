"""The runner: the half of the shell that applies the pure engine's decisions to a store.

It reads state from the store, asks the pure engine (journey.engine.steps,
events, triggers) what happens, performs it (render, write pending
deliveries) and writes the new state. It never delivers: the delivery worker
does, in every shell (journey.engine.shell). Time comes from the caller
(`now`) or the clock; nothing here sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from journey.clock import Clock
from journey.engine import activation, journey_clock, scheduling
from journey.engine.actions import (
    Exit,
)
from journey.engine.context import EngineSettings, History
from journey.engine.driving import DrivingMixin
from journey.engine.events import on_contact_change, on_event
from journey.engine.handoff import WrittenDeliveries
from journey.engine.interest import interesting_events, union
from journey.engine.perform import Listener, Renders
from journey.engine.sends_ahead import SendTimesAhead
from journey.engine.state import Enrollment, Entry
from journey.engine.steps import exited
from journey.engine.triggers import (
    fires_on,
    scope_for,
)
from journey.errors import ExpressionError
from journey.ingest import ContactChange, apply_contact_change, parse_contact
from journey.model import (
    Contact,
    Duration,
    Event,
    Plan,
    SplitStep,
)
from journey.records import LeaseLost
from journey.results.auto_winner import split_winner

if TYPE_CHECKING:  # the engine depends on the contract's shape, not on a store
    from journey.store.abc import StateStore

# simulate and test sign links with this; only the daemon's secret makes them work.
PREVIEW_SECRET = b"journey-preview-secret-not-for-production"
HISTORY_BATCH = 1000  # past events stored in one statement (journey simulate's history)


@lru_cache(maxsize=64)
def _utc_length(age: Duration) -> timedelta:
    """`add_duration(timestamp, age, UTC)` as a length (a UTC day is 24 hours), asked of
    every event: made once per duration."""
    return timedelta(days=age.calendar_days, seconds=age.seconds)


class StoreHistory:
    """A contact's past, read from the store on demand (marketing sends from the claimed
    batch's read, while there is one: journey.engine.sends_ahead)."""

    __slots__ = ("contact_id", "sends", "store")

    def __init__(
        self, store: StateStore, contact_id: str, sends: SendTimesAhead | None = None
    ) -> None:
        self.store = store
        self.contact_id = contact_id
        self.sends = sends

    def count_events(self, name: str, since: datetime | None, until: datetime) -> int:
        return self.store.count_events(self.contact_id, name, since, until)

    def marketing_send_times(self, since: datetime) -> list[datetime]:
        if self.sends is not None:
            return self.sends.send_times(self.contact_id, since)
        return self.store.marketing_send_times(self.contact_id, since)

    def last_event_at(self, name: str, until: datetime) -> datetime | None:
        return self.store.last_event_at(self.contact_id, name, until)

    def last_event(self, name: str, until: datetime) -> Event | None:
        return self.store.last_event(self.contact_id, name, until)

    def first_event_at(self, name: str, since: datetime) -> datetime | None:
        return self.store.first_event_at(self.contact_id, name, since)

    def split_winner(self, plan: Plan, step: SplitStep, now: datetime) -> str | None:
        return split_winner(self.store, plan, step, now)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepParts:
    """What performing a step needs: templates, the workspace's settings, the link secret."""

    renderer: Renders
    settings: EngineSettings
    unsubscribe_secret: bytes = PREVIEW_SECRET


@dataclass(frozen=True, slots=True, kw_only=True)
class Claims:
    """How the runner claims due work: as whom, for how long, how much at once."""

    worker: str = "runner"
    lease: timedelta = timedelta(minutes=5)
    batch_size: int = 500


DEFAULT_CLAIMS = Claims()


class Runner(DrivingMixin):
    """Applies the engine to a store; the same in every shell (see journey.engine.shell)."""

    def __init__(
        self,
        store: StateStore,
        plans: Mapping[str, Plan],
        clock: Clock,
        parts: StepParts,
        claims: Claims = DEFAULT_CLAIMS,
        *,
        listener: Listener | None = None,
        written: WrittenDeliveries | None = None,
    ) -> None:
        self.store = store
        self.written = written
        self.clock = clock
        self.renderer = parts.renderer
        self.settings = parts.settings
        self.unsubscribe_secret = parts.unsubscribe_secret
        self.worker = claims.worker
        self.lease = claims.lease
        self.batch_size = claims.batch_size
        self.listener = listener
        self.transitions = 0
        self.sends_ahead: SendTimesAhead | None = None
        self.plans: dict[str, Plan] = {}
        self.set_plans(plans)

    # ------------------------------------------------------------------ plans
    def set_plans(self, plans: Mapping[str, Plan]) -> None:
        """Adopt the current plans (the store keeps every version enrollments refer to)."""
        previous = getattr(self, "plans", {})
        self.plans = dict(plans)
        # versions replaced now may still have contacts in flight: keep their events
        replaced = [p for j, p in previous.items() if self.plans.get(j) != p]
        self._interesting = union(
            interesting_events(self.plans.values()), interesting_events(replaced)
        )
        with self.store.transaction():
            for plan in self.plans.values():
                self.store.save_plan(plan)

    def activate(self, now: datetime | None = None) -> None:
        """First sight of each journey: arm time triggers, segment baselines, archive sweep."""
        now = now or self.clock.now()
        with self.store.transaction():
            for plan in self.plans.values():
                if plan.status == "archived":
                    self._exit_all(plan, "archived", now)
                else:
                    activation.activate_journey(self, plan, now)

    def _exit_all(self, plan: Plan, reason: str, now: datetime) -> None:
        while batch := self.store.active_enrollments_in(plan.journey_id, self.batch_size):
            for enrollment in batch:
                self._save(exited(enrollment, reason, now), plan, (Exit(reason=reason),), now)

    def plan_for(self, enrollment: Enrollment) -> Plan | None:
        current = self.plans.get(enrollment.journey_id)
        if current is not None and current.plan_hash == enrollment.plan_hash:
            return current
        plan = self.store.get_plan(enrollment.plan_hash)
        if plan is not None:
            self._interesting = union(self._interesting, interesting_events([plan]))
        return plan

    def paused(self) -> list[str]:
        return [j for j, p in self.plans.items() if p.status != "active"]

    def next_due_at(self) -> datetime | None:
        """When the runner next has work (for virtual-time drivers and the daemon's sleep)."""
        return self.store.next_due_at([j for j, p in self.plans.items() if p.status == "active"])

    def history(self, contact_id: str) -> History:
        return StoreHistory(self.store, contact_id, self.sends_ahead)

    # --------------------------------------------------------------- contacts
    def upsert_contact(self, patch: Mapping[str, Any], now: datetime | None = None) -> Contact:
        """Merge a contact record; a `{"id", "delete": true}` record erases the contact."""
        change = parse_contact(patch)
        return self.change_contact(change, now) or Contact(id=change.id)

    def change_contact(self, change: ContactChange, now: datetime | None = None) -> Contact | None:
        """Apply a parsed upsert or erasure; None when the contact was erased."""
        now = now or self.clock.now()
        if change.delete:
            self.store.delete_contact(change.id)
            return None
        with self.store.transaction():
            old = self.store.get_contact(change.id)
            contact = apply_contact_change(old, change, now=now)
            assert contact is not None
            self.store.put_contact(contact)
            self.contact_changed(contact, now, is_new=old is None)
        return contact

    def contact_changed(self, contact: Contact, now: datetime, *, is_new: bool = False) -> None:
        """exit_when on in-flight enrollments, then segment edges and time-trigger arming."""
        history = self.history(contact.id)
        for enrollment in self.store.active_enrollments(contact.id):
            plan = self.plan_for(enrollment)
            if plan is None:
                continue
            transition = on_contact_change(plan, enrollment, contact, history, now, self.settings)
            if transition.changed:
                self._save(transition.enrollment, plan, transition.actions, now)
        scheduling.contact_changed(self, contact, now, is_new=is_new)

    def delete_contact(self, contact_id: str) -> bool:
        return self.store.delete_contact(contact_id)

    # ----------------------------------------------------------------- events
    def handle_event(self, event: Event, *, history_only: bool = False) -> bool:
        """Store, exit_when, goal, wait_for, triggers. False when the id was already seen."""
        now = self.clock.now()
        if event.received_at is None:
            event = replace(event, received_at=now)
        with self.store.transaction():
            if not self.store.add_event(event):
                return False
            if not history_only and self.matters(event):
                self._process_event(event, now)
        return True

    def store_history(self, events: Iterator[Event], until: datetime) -> Event | None:
        """`handle_event(event, history_only=True)` for each event before `until`, stored a
        batch at a time; returns the first event at or after `until` (read, not stored)."""
        now = self.clock.now()
        batch: list[Event] = []
        for event in events:
            if event.timestamp >= until:
                self._store_events(batch)
                return event
            batch.append(
                event if event.received_at is not None else replace(event, received_at=now)
            )
            if len(batch) >= HISTORY_BATCH:
                batch = self._store_events(batch)
        self._store_events(batch)
        return None

    def _store_events(self, batch: list[Event]) -> list[Event]:
        # nothing reads the store in between: one statement, one transaction per batch
        if batch:
            with self.store.transaction():
                self.store.add_events(batch)
        return []

    def read_ahead(self, events: Sequence[Event]) -> None:
        """Inside the caller's transaction: the contacts of a batch of events, read at once."""
        self.store.read_ahead([e.contact_id for e in events if self.matters(e)])

    def matters(self, event: Event) -> bool:
        """Does some plan react to this event (journey.engine.interest)? The rest are history."""
        return self._interesting is None or event.name in self._interesting

    def _process_event(self, event: Event, now: datetime) -> None:
        contact = self.store.get_contact(event.contact_id)
        if contact is None:
            contact = Contact(id=event.contact_id, created_at=now)
            self.store.put_contact(contact)
            scheduling.contact_changed(self, contact, now, is_new=True)
        history = self.history(contact.id)
        for enrollment in self.store.active_enrollments(contact.id):
            plan = self.plan_for(enrollment)
            if plan is None:
                continue
            transition = on_event(plan, enrollment, contact, history, event, now, self.settings)
            contact = self._apply_and_drive(plan, transition, contact, now)
        self._late_conversions(event, contact, now)
        for plan in self.plans.values():
            if plan.status != "active" or self._too_late(event, plan):
                continue
            scope = partial(scope_for, plan, contact, history, now, self.settings, event=event)
            try:
                fires = fires_on(plan, event, scope)
            except ExpressionError:
                fires = False
            if fires:
                entry = Entry(
                    name=event.name, timestamp=event.timestamp, properties=event.properties
                )
                self.try_enroll(plan, contact, entry, now, event=event)
        scheduling.event_seen(self, contact, event, now)

    def _too_late(self, event: Event, plan: Plan) -> bool:
        received = event.received_at or event.timestamp
        return received - event.timestamp > _utc_length(plan.max_trigger_age)

    def _late_conversions(self, event: Event, contact: Contact, now: datetime) -> None:
        """A goal counts within `within` of entry even after the enrollment ended."""
        for plan in self.plans.values():
            if plan.goal is None or plan.goal.event != event.name:
                continue
            for enrollment in self.store.unconverted_enrollments(plan.journey_id, contact.id):
                if enrollment.is_active:
                    continue
                old_plan = self.plan_for(enrollment) or plan
                history = self.history(contact.id)
                transition = on_event(
                    old_plan, enrollment, contact, history, event, now, self.settings
                )
                if transition.changed:
                    self._save(transition.enrollment, old_plan, transition.actions, now)

    # --------------------------------------------------------------- due work
    def run_due(self, now: datetime | None = None, limit: int | None = None) -> int:
        """Time triggers, then due enrollments in claimed batches.

        Returns steps advanced, plus the contacts a journey clock's fire looked at
        (journey.engine.journey_clock): both are work done."""
        now = now or self.clock.now()
        before = self.transitions
        looked = journey_clock.fire_journey_clocks(self, now, limit)
        scheduling.scan_time_triggers(self, now)
        done = 0
        while limit is None or done < limit:
            size = self.batch_size if limit is None else min(self.batch_size, limit - done)
            batch = self.store.claim_due_enrollments(
                now,
                size,
                worker=self.worker,
                lease_until=now + self.lease,
                skip_journeys=self.paused(),
            )
            if not batch:
                break
            contact_ids = [e.contact_id for e in batch]
            contacts = self.store.get_contacts(contact_ids)
            try:
                with self.store.transaction(), self.sends_read_ahead(contact_ids):
                    for enrollment in batch:
                        self._run_claimed(enrollment, contacts, now)
            except LeaseLost:  # another worker took the batch over: undone here, done there
                self.writes_undone()
                break
            done += len(batch)
        return self.transitions - before + looked

    @contextmanager
    def sends_read_ahead(self, contact_ids: Sequence[str]) -> Iterator[None]:
        """Inside the caller's transaction, for a batch of contacts: their marketing send
        times read once (journey.engine.sends_ahead); no answer outlives the transaction."""
        self.sends_ahead = SendTimesAhead(self.store, contact_ids)
        try:
            yield
        finally:  # not the one this may have replaced: it missed the writes made since
            self.sends_ahead = None

    def writes_undone(self) -> None:
        """The store undid some of this runner's writes (a rolled-back batch or item): the
        deliveries it wrote are claimed back from the store alone, without the handoff."""
        if self.written is not None:
            self.written.forget()

    def _run_claimed(
        self, enrollment: Enrollment, contacts: dict[str, Contact], now: datetime
    ) -> None:
        plan = self.plan_for(enrollment)
        contact = contacts.get(enrollment.contact_id)
        if plan is None or contact is None:
            reason = "journey_removed" if plan is None else "contact_deleted"
            self.store.save_enrollment(exited(enrollment, reason, now))
            return
        _, contacts[contact.id] = self.drive(plan, enrollment, contact, now)

"""Time-driven and state-driven triggers for the runner: date, schedule, inactivity, segment.

Each time trigger is kept as a "next fire" instant (per journey, or per journey
and contact) that the store indexes, so a scan looks only at what is due. Missed
fires catch up once (schedule) or within `catch_up` (date); a paused journey's
fires are dropped, not queued. A journey clock's fire (a schedule without
`timezone: contact`, a segment's first pass) is done per shard by
journey.engine.journey_clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from journey.engine.context import EvalScope, contact_zone
from journey.engine.segment_change import EVERY_TICK, depends_on_time, next_change, recheck_tick
from journey.engine.state import TriggerState
from journey.engine.trigger_batch import TriggerBatch
from journey.engine.triggers import (
    ONE_MICROSECOND,
    date_window_start,
    inactivity_fire,
    next_date_fire,
    scope_for,
    trigger_entry,
)
from journey.errors import ExpressionError
from journey.localtime import next_cron_time, subtract_duration
from journey.model import (
    Contact,
    DateTrigger,
    Event,
    InactivityTrigger,
    Plan,
    ScheduleTrigger,
    SegmentTrigger,
)
from journey.records import Lease, LeaseLost

if TYPE_CHECKING:
    from journey.engine.runner import Runner


def has_contact_clock(plan: Plan) -> bool:
    """A trigger armed per contact (a next fire each): date, inactivity, a schedule in the
    contact's zone."""
    trigger = plan.trigger
    return isinstance(trigger, DateTrigger | InactivityTrigger) or (
        isinstance(trigger, ScheduleTrigger) and trigger.timezone == "contact"
    )


def rechecked(plan: Plan) -> bool:
    """A segment whose condition time can change: each contact has its own next re-check."""
    trigger = plan.trigger
    return isinstance(trigger, SegmentTrigger) and depends_on_time(trigger.condition)


def has_journey_clock(plan: Plan) -> bool:
    trigger = plan.trigger
    return isinstance(trigger, SegmentTrigger) or (
        isinstance(trigger, ScheduleTrigger) and trigger.timezone != "contact"
    )


# --------------------------------------------------------------- contact changes


def contact_changed(runner: Runner, contact: Contact, now: datetime, *, is_new: bool) -> None:
    """Re-arm time triggers and check segment edges for one contact."""
    for plan in runner.plans.values():
        if plan.status == "archived":
            continue
        if isinstance(plan.trigger, SegmentTrigger):
            segment_edge(runner, plan, contact, now, baseline=False, is_new=is_new)
        elif has_contact_clock(plan):
            previous = runner.store.get_trigger_state(plan.journey_id, contact.id)
            state = armed(runner, plan, contact, now, previous)
            if state is not None and state != previous:
                runner.store.put_trigger_states([state])


def event_seen(runner: Runner, contact: Contact, event: Event, now: datetime) -> None:
    """Events re-arm inactivity and may flip segments that use has_event/event_count."""
    for plan in runner.plans.values():
        trigger = plan.trigger
        if isinstance(trigger, InactivityTrigger) and trigger.event == event.name:
            zone = contact_zone(contact, plan, runner.settings)
            previous = runner.store.get_trigger_state(plan.journey_id, contact.id)
            last = runner.store.last_event_at(contact.id, event.name, now) or event.timestamp
            state = TriggerState(
                journey_id=plan.journey_id,
                contact_id=contact.id,
                next_fire_at=inactivity_fire(trigger, last, zone),
                last_fired_at=previous.last_fired_at if previous else None,
            )
            runner.store.put_trigger_states([state])
        elif isinstance(trigger, SegmentTrigger) and plan.status == "active":
            segment_edge(runner, plan, contact, now, baseline=False)


def armed(
    runner: Runner,
    plan: Plan,
    contact: Contact,
    now: datetime,
    previous: TriggerState | None,
    last_events: Mapping[str, datetime] | None = None,
) -> TriggerState | None:
    """The trigger state with its next fire for this contact (None: nothing to arm).

    `last_events`: an inactivity trigger's latest events, read for a batch of contacts
    (`StateStore.last_events_at_of`; a contact left out has none)."""
    trigger = plan.trigger
    zone = contact_zone(contact, plan, runner.settings)
    last_fired = previous.last_fired_at if previous else None
    if isinstance(trigger, DateTrigger):
        start = date_window_start(trigger, now, last_fired, zone)
        fire = next_date_fire(trigger, contact, zone, start)
    elif isinstance(trigger, InactivityTrigger):
        if previous is not None:
            return previous
        if last_events is None:
            last = runner.store.last_event_at(contact.id, trigger.event, now)
        else:
            last = last_events.get(contact.id)
        fire = inactivity_fire(trigger, last or contact.created_at or now, zone)
    else:
        assert isinstance(trigger, ScheduleTrigger)
        if (
            previous is not None
            and previous.next_fire_at is not None
            and previous.next_fire_at <= now
        ):
            return previous  # due already; the scan fires it
        fire = next_cron_time(trigger.cron, now, zone)
    return TriggerState(
        journey_id=plan.journey_id,
        contact_id=contact.id,
        next_fire_at=fire,
        last_fired_at=last_fired,
        segment_match=previous.segment_match if previous else None,
    )


def segment_edge(
    runner: Runner,
    plan: Plan,
    contact: Contact,
    now: datetime,
    *,
    baseline: bool,
    is_new: bool = False,
    known: Mapping[str, TriggerState] | None = None,
    lease: Lease | None = None,
    batch: TriggerBatch | None = None,
    anchor: datetime | None = None,
) -> int:
    """Enter when the condition goes from false to true (a new contact starts at false).

    `known`: the journey's states for a batch of contacts, read in one query
    instead of one query per contact. A condition that time can change gets the
    next re-check tick at which it can (`next_fire_at`); `lease`: the claim on
    the state being fired, released by this write. `batch`: the batch of contacts this
    one is looked at with (their writes together, their audiences with the batch's event
    counts). `anchor`: `ticks_from(runner, plan, now)`, read once for a batch (else here).
    Returns 1 when the contact entered.
    """
    trigger = plan.trigger
    assert isinstance(trigger, SegmentTrigger)
    if known is None:
        previous = runner.store.get_trigger_state(plan.journey_id, contact.id)
    else:
        previous = known.get(contact.id)
    scope = scope_for(plan, contact, runner.history(contact.id), now, runner.settings)
    try:
        matches = scope.holds(trigger.condition)
    except ExpressionError:
        matches = False
    recheck = _segment_recheck_at(runner, plan, scope, now, anchor)
    was = bool(previous.segment_match) if previous is not None else False
    entry = trigger_entry("segment", now)
    enters = matches and not was and not baseline and plan.status == "active"
    if enters and batch is not None:
        enters = batch.may_enter(plan, contact, entry, now)
    if (
        previous is None
        or previous.segment_match != matches
        or previous.next_fire_at != recheck
        or lease is not None
    ):
        state = TriggerState(
            journey_id=plan.journey_id,
            contact_id=contact.id,
            segment_match=matches,
            next_fire_at=recheck,
            last_fired_at=previous.last_fired_at if previous else None,
            lease=lease,
        )
        if batch is None:
            runner.store.put_trigger_states([state])
        else:
            batch.write(state, enters=enters)
    elif enters and batch is not None:
        batch.flush()  # the writes before this contact's entry come before it
    if enters:
        return int(runner.try_enroll(plan, contact, entry, now) is not None)
    return 0


def _segment_recheck_at(
    runner: Runner, plan: Plan, scope: EvalScope, now: datetime, anchor: datetime | None
) -> datetime | None:
    """The first re-check tick after `now` at which the condition can have changed."""
    trigger = plan.trigger
    assert isinstance(trigger, SegmentTrigger)
    if not depends_on_time(trigger.condition):
        return None
    change = next_change(trigger.condition, scope)
    if change is None:
        return None
    if anchor is None:
        anchor = ticks_from(runner, plan, now)
    return recheck_tick(trigger.recheck, now if change is EVERY_TICK else change, now, anchor)


def ticks_from(runner: Runner, plan: Plan, now: datetime) -> datetime:
    """Where the journey's re-check ticks count from: its activation (else `now`)."""
    state = runner.store.get_journey_state(plan.journey_id)
    return state.activated_at if state is not None and state.activated_at else now


# ------------------------------------------------------------------------ scans


def scan_time_triggers(runner: Runner, now: datetime) -> int:
    """Fire the per-contact triggers due at `now` (journey clocks: journey.engine.journey_clock)."""
    fired = 0
    per_contact = [
        p.journey_id for p in runner.plans.values() if has_contact_clock(p) or rechecked(p)
    ]
    while True:
        due = runner.store.claim_due_trigger_states(
            now,
            runner.batch_size,
            per_contact,
            worker=runner.worker,
            lease_until=now + runner.lease,
        )
        if not due:
            break
        ids = [s.contact_id for s in due]
        contacts = runner.store.get_contacts(ids)
        try:
            with runner.store.transaction(), runner.sends_read_ahead(ids):
                batch = TriggerBatch(runner, ids)
                anchors: dict[str, datetime] = {}  # a segment's, read once for the batch
                for state in due:
                    contact = contacts.get(state.contact_id)
                    fired += _fire_contact(runner, state, contact, now, batch, anchors)
                batch.flush()
        except LeaseLost:  # taken over by another worker: this batch is undone, theirs now
            break
    return fired


def _fire_contact(
    runner: Runner,
    state: TriggerState,
    contact: Contact | None,
    now: datetime,
    batch: TriggerBatch,
    anchors: dict[str, datetime],
) -> int:
    plan = runner.plans.get(state.journey_id)
    if plan is None or contact is None or state.next_fire_at is None:
        return 0
    fire_at = state.next_fire_at
    trigger = plan.trigger
    if isinstance(trigger, SegmentTrigger):
        anchor = anchors.get(plan.journey_id)
        if anchor is None:
            anchor = anchors[plan.journey_id] = ticks_from(runner, plan, now)
        return _recheck_contact(runner, plan, trigger, state, contact, now, batch, anchor)
    zone = contact_zone(contact, plan, runner.settings)
    nxt: datetime | None
    fire = True
    if isinstance(trigger, DateTrigger):
        fire = fire_at >= subtract_duration(now, trigger.catch_up, zone)
        nxt = next_date_fire(trigger, contact, zone, fire_at + ONE_MICROSECOND)
    elif isinstance(trigger, InactivityTrigger):
        nxt = None  # re-armed by the next matching event
    else:
        assert isinstance(trigger, ScheduleTrigger)
        nxt = next_cron_time(trigger.cron, now, zone)
    entry = trigger_entry(trigger.kind, fire_at)
    enters = fire and plan.status == "active" and batch.may_enter(plan, contact, entry, now)
    batch.write(
        TriggerState(
            journey_id=plan.journey_id,
            contact_id=contact.id,
            next_fire_at=nxt,
            last_fired_at=fire_at,
            lease=state.lease,  # the claim's: written only while it holds
        ),
        enters=enters,
    )
    if not enters:
        return 0
    enrolled = runner.try_enroll(plan, contact, entry, now)
    return int(enrolled is not None)


def _recheck_contact(
    runner: Runner,
    plan: Plan,
    trigger: SegmentTrigger,
    state: TriggerState,
    contact: Contact,
    now: datetime,
    batch: TriggerBatch,
    anchor: datetime,
) -> int:
    """A contact's own segment re-check; a paused journey looks again at its next tick."""
    if plan.status == "active":
        known = {contact.id: state}
        return segment_edge(
            runner,
            plan,
            contact,
            now,
            baseline=False,
            known=known,
            lease=state.lease,
            batch=batch,
            anchor=anchor,
        )
    nxt = recheck_tick(trigger.recheck, now, now, anchor) if plan.status == "paused" else None
    batch.write(replace(state, next_fire_at=nxt), enters=False)  # under the claim's lease
    return 0

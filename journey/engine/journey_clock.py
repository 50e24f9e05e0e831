"""Journey clocks: a schedule's cron fire and a segment's first pass over everyone, per shard.

When a journey's clock is due, the worker that moves it on (`claim_journey_fire`:
one of any number wins) records the fire as pending on every shard, in the same
transaction (`add_shard_fires`). Each worker then works through the pending
fires of the shards it holds, a batch of contacts at a time, in contact id
order: a batch's enrollments and the fire's progress on that shard commit
together, checked against the shard's lease. A worker that dies mid-fire
leaves the rest of its shards' part to whoever takes them over, who goes on
from the last contact committed, so no contact gets the same fire twice.
A journey paused (or changed to another trigger) when its fire comes up is
not fired: the fire is dropped, not queued.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from journey.engine.scheduling import has_journey_clock, rechecked, segment_edge, ticks_from
from journey.engine.trigger_batch import TriggerBatch
from journey.engine.triggers import next_schedule_fire, schedule_zone, trigger_entry
from journey.localtime import UTC_ZONE, add_duration
from journey.model import Contact, Plan, ScheduleTrigger, SegmentTrigger
from journey.records import LeaseLost, ShardFire
from journey.shards import SHARD_COUNT

if TYPE_CHECKING:
    from journey.engine.runner import Runner


def fire_journey_clocks(runner: Runner, now: datetime, limit: int | None = None) -> int:
    """Due clocks become fires pending on every shard; then the pending fires of the shards
    this worker holds are worked through, up to `limit` contacts (all with None).

    Returns the contacts looked at: work done, whether or not they entered.
    """
    for plan in list(runner.plans.values()):
        if has_journey_clock(plan):
            _record_fire(runner, plan, now)
    looked = 0
    full = True
    while full and (limit is None or looked < limit):
        pending = runner.store.pending_shard_fires(
            list(runner.plans), worker=runner.worker, limit=SHARD_COUNT
        )
        full = len(pending) == SHARD_COUNT  # there may be more after these
        for fire in pending:
            while limit is None or looked < limit:
                batch = _next_batch(runner, fire, now)
                if batch is None:  # finished, or the shard is no longer this worker's
                    break
                looked += batch
    return looked


def _record_fire(runner: Runner, plan: Plan, now: datetime) -> None:
    state = runner.store.get_journey_state(plan.journey_id)
    due = state.next_fire_at if state is not None else None
    if state is None or due is None or due > now:
        return
    trigger = plan.trigger
    last: datetime | None
    kind: str | None = None
    if isinstance(trigger, ScheduleTrigger):
        zone = schedule_zone(plan, trigger, runner.settings)
        nxt, last, kind = next_schedule_fire(trigger, now, zone), due, "schedule"
    else:
        assert isinstance(trigger, SegmentTrigger)
        # `last_fired_at` of a segment: since when its contacts have their own re-checks
        # (`scheduling.segment_recheck_at`), claimed like the per-contact triggers; a store
        # from before those re-checks gets one pass over everyone to arm them.
        nxt, last = add_duration(now, trigger.recheck, UTC_ZONE), state.last_fired_at or due
        if state.last_fired_at is None and rechecked(plan):
            kind = "segment"
    with runner.store.transaction():
        # one worker moves the clock on; the others see it moved and add nothing
        if not runner.store.claim_journey_fire(
            plan.journey_id, due, next_fire_at=nxt, last_fired_at=last
        ):
            return
        if kind is not None and plan.status == "active":  # paused: dropped, not queued
            runner.store.add_shard_fires(plan.journey_id, due, kind)


def _next_batch(runner: Runner, fire: ShardFire, now: datetime) -> int | None:
    """One batch of the fire's contacts on its shard, with its progress; the contacts looked
    at, or None when the fire is finished there or the shard is no longer this worker's."""
    plan = runner.plans.get(fire.journey_id)
    store = runner.store
    try:
        with store.transaction():
            found = store.next_in_shard_fire(fire, runner.batch_size)
            if found is None:
                return None
            stored, contacts = found
            fires = plan is not None and plan.status == "active" and plan.trigger.kind == fire.kind
            if fires and contacts:
                assert plan is not None
                with runner.sends_read_ahead([c.id for c in contacts]):
                    _apply(runner, plan, stored, contacts, now)
            finished = not fires or len(contacts) < runner.batch_size
            store.save_shard_fire(
                replace(
                    stored,
                    after=contacts[-1].id if contacts else stored.after,
                    done_at=now if finished else None,
                )
            )
            return len(contacts)
    except LeaseLost:  # the shard changed hands: this batch is undone, the new holder's now
        return None


def _apply(
    runner: Runner, plan: Plan, fire: ShardFire, contacts: list[Contact], now: datetime
) -> None:
    ids = [c.id for c in contacts]
    runner.store.read_ahead(ids)
    batch = TriggerBatch(runner, ids)
    if fire.kind == "schedule":
        entry = trigger_entry("schedule", fire.fire_at)
        for contact in contacts:
            if batch.may_enter(plan, contact, entry, now):
                runner.try_enroll(plan, contact, entry, now)
        return
    known = runner.store.get_trigger_states(plan.journey_id, ids)
    anchor = ticks_from(runner, plan, now)
    for contact in contacts:
        segment_edge(
            runner, plan, contact, now, baseline=False, known=known, batch=batch, anchor=anchor
        )
    batch.flush()

"""Arming a journey's trigger for the contacts already in the store.

At a journey's first sight (or when a new version's trigger is of another kind)
every stored contact is armed as if new to it: a segment is evaluated (members
already matching enter only with `include_existing`), a date, inactivity or
per-contact schedule trigger gets each contact's next fire.

A new version whose trigger is of the same kind but defined otherwise (another
condition, offset, attribute, `for`, cron, zone, or the plan's timezone those fall
back to: `journey.compiler.serialize.trigger_hash`) is armed again, keeping what
each contact has been through:

- segment: every contact is evaluated under the new condition. One who matched
  before and still does stays a member (no second entry); one who matches now
  and did not enters only with `include_existing`, as at a first sight; one who
  no longer matches leaves the segment (and enters once it matches again). Each
  member's next re-check is the new condition's.
- date: the next fire is computed again from the new definition, after the last
  fire (an occurrence already fired is not fired twice under the same trigger;
  the journey's `reentry` decides about the same date under the new offset).
- inactivity: a contact waiting for their inactivity is armed again from their
  last matching event; one it already fired for waits for their next event, as
  before.
- schedule: the next fire is the new cron's (the journey's, or each contact's
  in their zone).

A store written before the definition was kept has none to compare with: the
journey is taken as armed with the current one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from journey.compiler.serialize import trigger_hash
from journey.engine.scheduling import armed, has_contact_clock, segment_edge, ticks_from
from journey.engine.state import TriggerState
from journey.engine.trigger_batch import TriggerBatch
from journey.engine.triggers import next_schedule_fire, schedule_zone
from journey.localtime import UTC_ZONE, add_duration
from journey.model import Contact, InactivityTrigger, Plan, ScheduleTrigger, SegmentTrigger
from journey.records import JourneyState

if TYPE_CHECKING:
    from journey.engine.runner import Runner


def activate_journey(runner: Runner, plan: Plan, now: datetime) -> None:
    """Arm the journey's trigger for the stored contacts when it is new or defined anew."""
    known = runner.store.get_journey_state(plan.journey_id)
    definition = trigger_hash(plan)
    if known is None or known.trigger != plan.trigger.kind:
        _arm_first(runner, plan, now, definition)
    elif known.trigger_hash is None:  # kept from before definitions were stored
        runner.store.put_journey_state(replace(known, trigger_hash=definition))
    elif known.trigger_hash != definition:
        _arm_again(runner, plan, known, now, definition)


def _arm_first(runner: Runner, plan: Plan, now: datetime, definition: str) -> None:
    trigger = plan.trigger
    fire: datetime | None = None
    if isinstance(trigger, ScheduleTrigger) and trigger.timezone != "contact":
        fire = next_schedule_fire(trigger, now, schedule_zone(plan, trigger, runner.settings))
    if isinstance(trigger, SegmentTrigger):
        fire = add_duration(now, trigger.recheck, UTC_ZONE)
    runner.store.put_journey_state(
        JourneyState(
            journey_id=plan.journey_id,
            trigger=trigger.kind,
            activated_at=now,
            next_fire_at=fire,
            # a segment's contacts get their own re-checks from now on
            last_fired_at=now if isinstance(trigger, SegmentTrigger) else None,
            trigger_hash=definition,
        )
    )
    if isinstance(trigger, SegmentTrigger):
        _segment_pass(runner, plan, trigger, now)
    elif has_contact_clock(plan):
        _arm_contacts(runner, plan, now, again=False)


def _arm_again(
    runner: Runner, plan: Plan, known: JourneyState, now: datetime, definition: str
) -> None:
    trigger = plan.trigger
    state = replace(known, trigger_hash=definition)
    if isinstance(trigger, ScheduleTrigger):  # the journey's clock, or none in contact zones
        fire = None
        if trigger.timezone != "contact":
            fire = next_schedule_fire(trigger, now, schedule_zone(plan, trigger, runner.settings))
        state = replace(state, next_fire_at=fire)
    runner.store.put_journey_state(state)
    if isinstance(trigger, SegmentTrigger):
        _segment_pass(runner, plan, trigger, now)
    elif has_contact_clock(plan):
        _arm_contacts(runner, plan, now, again=True)


def _segment_pass(runner: Runner, plan: Plan, trigger: SegmentTrigger, now: datetime) -> None:
    """Every stored contact evaluated, against what their state says they matched."""
    baseline = not trigger.include_existing
    anchor = ticks_from(runner, plan, now)
    for contacts in runner.store.iter_contacts():
        ids = [c.id for c in contacts]
        states = runner.store.get_trigger_states(plan.journey_id, ids)
        batch = TriggerBatch(runner, ids)
        for contact in contacts:
            segment_edge(
                runner,
                plan,
                contact,
                now,
                baseline=baseline,
                known=states,
                batch=batch,
                anchor=anchor,
            )
        batch.flush()


def _arm_contacts(runner: Runner, plan: Plan, now: datetime, *, again: bool) -> None:
    """Each stored contact's next fire; `again`: from the state they have."""
    trigger = plan.trigger
    for contacts in runner.store.iter_contacts():
        ids = [c.id for c in contacts]
        last: Mapping[str, datetime] | None = None
        if isinstance(trigger, InactivityTrigger):  # one read for the batch, not one each
            last = runner.store.last_events_at_of(ids, trigger.event, now)
        states: Mapping[str, TriggerState] = {}
        if again:
            states = runner.store.get_trigger_states(plan.journey_id, ids)
        runner.store.put_trigger_states(
            [
                state
                for contact in contacts
                if (state := _armed_again(runner, plan, contact, now, states, last)) is not None
            ]
        )


def _armed_again(
    runner: Runner,
    plan: Plan,
    contact: Contact,
    now: datetime,
    states: Mapping[str, TriggerState],
    last: Mapping[str, datetime] | None,
) -> TriggerState | None:
    previous = states.get(contact.id)
    if not isinstance(plan.trigger, InactivityTrigger) or previous is None:
        return armed(runner, plan, contact, now, previous, last)
    if previous.next_fire_at is None:  # fired for this inactivity: waits for the next event
        return previous
    state = armed(runner, plan, contact, now, None, last)
    return replace(state, last_fired_at=previous.last_fired_at) if state is not None else None

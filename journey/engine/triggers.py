"""Triggers and enrollment rules, pure: does this fire, may this contact enter, when next.

Time triggers are turned into "next fire" instants that the store indexes, so the
shell only looks at what is due instead of scanning every contact every tick.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from journey.engine.context import EngineSettings, EvalScope, History, contact_zone
from journey.engine.state import Enrollment, Entry, enrollment_id
from journey.errors import ExpressionError
from journey.localtime import (
    add_duration,
    local_time_on,
    next_cron_time,
    parse_date_value,
    resolve_zone,
    subtract_duration,
    yearly_occurrence,
)
from journey.model import (
    Contact,
    DateTrigger,
    Duration,
    Event,
    EventTrigger,
    InactivityTrigger,
    Plan,
    ScheduleTrigger,
)

ONE_MICROSECOND = timedelta(microseconds=1)


def scope_for(
    plan: Plan,
    contact: Contact,
    history: History,
    now: datetime,
    settings: EngineSettings,
    *,
    event: Event | None = None,
    entry: Entry | None = None,
) -> EvalScope:
    return EvalScope(
        contact=contact,
        history=history,
        now=now,
        zone=contact_zone(contact, plan, settings),
        settings=settings,
        event=event,
        entry=entry,
        latest_events=plan.latest_events,
    )


def audience_holds(
    plan: Plan,
    contact: Contact,
    history: History,
    now: datetime,
    settings: EngineSettings,
    *,
    entry: Entry,
    event: Event | None = None,
) -> bool:
    """May this contact enter by its attributes and history? An error is a no."""
    if not plan.audience:  # holds, as EvalScope.holds says of an absent expression
        return True
    scope = scope_for(plan, contact, history, now, settings, event=event, entry=entry)
    try:
        return scope.holds(plan.audience)
    except ExpressionError:
        return False


def event_fires(plan: Plan, event: Event, scope: EvalScope) -> bool:
    """An event trigger with this name whose `where` holds (raises ExpressionError)."""
    trigger = plan.trigger
    return (
        isinstance(trigger, EventTrigger)
        and trigger.event == event.name
        and scope.holds(trigger.where)
    )


def fires_on(plan: Plan, event: Event, scope: Callable[[], EvalScope]) -> bool:
    """`event_fires`, the scope built only when a `where` is to be evaluated: most events
    of a big run reach journeys that do not listen to them, or listen without a `where`."""
    trigger = plan.trigger
    if not isinstance(trigger, EventTrigger) or trigger.event != event.name:
        return False
    return not trigger.where or scope().holds(trigger.where)


def reentry_allows(plan: Plan, latest: Enrollment | None, now: datetime, zone: ZoneInfo) -> bool:
    """At most one active enrollment; `never`, `always` or a cool-down from the last exit."""
    if latest is None:
        return True
    if latest.is_active:
        return False
    if plan.reentry == "never":
        return False
    if plan.reentry == "always":
        return True
    assert isinstance(plan.reentry, Duration)
    exited_at = latest.exited_at or latest.entered_at
    return now >= add_duration(exited_at, plan.reentry, zone)


def new_enrollment(
    plan: Plan, contact_id: str, number: int, entry: Entry, now: datetime
) -> Enrollment:
    """The n-th enrollment of the contact, due at once on the plan's first step."""
    return Enrollment(
        id=enrollment_id(plan.journey_id, contact_id, number),
        journey_id=plan.journey_id,
        contact_id=contact_id,
        plan_hash=plan.plan_hash,
        entered_at=now,
        entry=entry,
        step_id=plan.first_step,
        step_entered_at=now,
        due_at=now,
    )


# ------------------------------------------------------------------ time triggers


def date_fire_at(
    trigger: DateTrigger, contact: Contact, year: int | None, zone: ZoneInfo
) -> datetime | None:
    """The instant the date trigger fires in `year` (None: the attribute's own year)."""
    value = contact.attributes.get(trigger.attribute)
    if value is None and trigger.attribute == "created_at":
        value = contact.created_at
    day = parse_date_value(value)
    if day is None:
        return None
    if year is not None:
        day = yearly_occurrence(day.month, day.day, year)
    if trigger.offset.calendar_days:
        day = day + timedelta(days=trigger.offset.calendar_days)
    instant = local_time_on(day, trigger.at, zone)
    return instant + timedelta(seconds=trigger.offset.seconds)


def next_date_fire(
    trigger: DateTrigger, contact: Contact, zone: ZoneInfo, not_before: datetime
) -> datetime | None:
    """The first occurrence at or after `not_before` (yearly: over the next years)."""
    if trigger.repeat != "yearly":
        fire = date_fire_at(trigger, contact, None, zone)
        return fire if fire is not None and fire >= not_before else None
    start_year = not_before.astimezone(zone).year - 1
    for year in range(start_year, start_year + 4):
        fire = date_fire_at(trigger, contact, year, zone)
        if fire is None:
            return None
        if fire >= not_before:
            return fire
    return None


def date_window_start(
    trigger: DateTrigger, now: datetime, last_fired: datetime | None, zone: ZoneInfo
) -> datetime:
    """Occurrences before this are skipped: older than catch_up, or already fired."""
    start = subtract_duration(now, trigger.catch_up, zone)
    if last_fired is not None:
        start = max(start, last_fired + ONE_MICROSECOND)
    return start


def inactivity_fire(
    trigger: InactivityTrigger, last_activity: datetime, zone: ZoneInfo
) -> datetime:
    return add_duration(last_activity, trigger.for_, zone)


def schedule_zone(plan: Plan, trigger: ScheduleTrigger, settings: EngineSettings) -> ZoneInfo:
    """The zone of a journey-wide schedule (not `timezone: contact`)."""
    tz = None if trigger.timezone == "contact" else trigger.timezone
    return resolve_zone(tz, plan.timezone, settings.default_timezone)


def next_schedule_fire(
    trigger: ScheduleTrigger, after: datetime, zone: ZoneInfo
) -> datetime | None:
    return next_cron_time(trigger.cron, after, zone)


def trigger_entry(name: str, at: datetime) -> Entry:
    return Entry(name=name, timestamp=at, properties={})

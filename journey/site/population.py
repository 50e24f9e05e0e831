"""A generated sample population for a journey's forecast: contacts and their events.

Deterministic (seeded by the journey id) so two builds draw the same chart. The
people are variations of the sample contacts; their behaviour is a rough guess
on purpose — a third of them do what the journey waits for, a few leave — so
every branch of the journey gets some traffic in the forecast.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from journey.expressions import ExpressionSyntaxError, compile_expression
from journey.model import (
    BranchStep,
    DateTrigger,
    Event,
    EventTrigger,
    InactivityTrigger,
    Plan,
    SegmentTrigger,
    WaitForStep,
)
from journey.samples import SampleContact

WINDOW_DAYS = 30
SEGMENT_ENTRY = "forecast.segment_entered"
_CHOICES: dict[str, tuple[Any, ...]] = {
    "plan": ("trial", "monthly", "fortnightly", "weekly", "monthly"),
    "tier": ("bronze", "bronze", "silver", "gold"),
    "lifecycle_stage": ("new", "onboarded", "active", "active", "at_risk"),
    "churn_reason": ("price", "too_much_coffee", "taste", "too_complex", "other"),
    "brew_method": ("pour_over", "espresso", "french_press", "aeropress", "moka"),
}
_LITERAL = re.compile(r"""'([^']*)'|"([^"]*)"|\b(\d+(?:\.\d+)?)\b""")
_EVENT_CALL = re.compile(r"""(?:has_event|event_count)\(\s*['"]([^'"]+)['"]""")


def forecast_plan(plan: Plan) -> Plan:
    """The plan the forecast runs: a segment trigger becomes a steady flow of entries.

    Contacts start to match the segment at random moments of the window (an event
    whose `where` is the segment's condition), rather than all matching on day one
    and the engine re-checking every contact each hour: that shows a launched
    journey's steady state, and costs a fraction of the time.
    """
    if isinstance(plan.trigger, SegmentTrigger):
        return replace(
            plan, trigger=EventTrigger(event=SEGMENT_ENTRY, where=plan.trigger.condition)
        )
    return plan


def population(
    plan: Plan,
    samples: list[SampleContact],
    event_types: Mapping[str, Mapping[str, str]] | None,
    start: datetime,
    size: int,
    examples: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], list[Event]]:
    """`size` contact records and the events they will cause over the window.

    An event with a declared `example:` carries the example's properties (those
    a trigger's `where` asks about still vary, so the filter lets some through).
    """
    rng = random.Random(plan.journey_id)
    contacts = [_contact(rng, samples[i % len(samples)], i, start) for i in range(size)]
    if isinstance(plan.trigger, DateTrigger):
        for record in contacts:  # anniversaries spread over the year
            day = start.date() - timedelta(days=rng.randrange(365)) - timedelta(days=365 * 30)
            record[plan.trigger.attribute] = day.isoformat()
    events: list[Event] = []
    for record in contacts:
        events += _events(rng, plan, record, event_types or {}, start, examples or {})
    return contacts, events


def _contact(
    rng: random.Random, sample: SampleContact, index: int, start: datetime
) -> dict[str, Any]:
    base = sample.contact
    record: dict[str, Any] = {
        "id": f"p{index:04d}",
        "email": f"p{index:04d}@example.com",
        "phone": base.phone,
        "locale": base.locale,
        "timezone": base.timezone,
        "created_at": (start - timedelta(days=rng.randrange(1, 400))).isoformat(),
        "consent": {"email": rng.random() < 0.95, "sms": rng.random() < 0.6, "push": True},
    }
    for name, value in base.attributes.items():
        record[name] = _vary(rng, name, value)
    return record


def _vary(rng: random.Random, name: str, value: Any) -> Any:
    if name in _CHOICES:
        return rng.choice(_CHOICES[name])
    if isinstance(value, bool):
        return rng.random() < (0.05 if value is False else 0.8)
    if isinstance(value, float) and 0 <= value <= 1:
        return round(rng.random(), 2)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value * rng.uniform(0, 2.5)) if value > 10 else rng.randrange(0, 11)
    if isinstance(value, float):
        return round(value * rng.uniform(0, 2.5), 2)
    return value


def _events(
    rng: random.Random,
    plan: Plan,
    record: Mapping[str, Any],
    event_types: Mapping[str, Mapping[str, str]],
    start: datetime,
    examples: Mapping[str, Mapping[str, Any]],
) -> list[Event]:
    contact_id = str(record["id"])
    found: list[Event] = []
    entry = start
    trigger = plan.trigger

    def event(name: str, at: datetime, where: str | None = None) -> None:
        props = _properties(rng, event_types.get(name, {}), where, record)
        props.update(
            (key, copy.deepcopy(value))
            for key, value in examples.get(name, {}).items()
            if key not in (where or "")
        )
        found.append(
            Event(
                id=f"{contact_id}-{len(found)}",
                name=name,
                contact_id=contact_id,
                timestamp=at,
                properties=props,
            )
        )

    if isinstance(trigger, EventTrigger):
        entry = start + timedelta(seconds=rng.randrange(WINDOW_DAYS * 86_400))
        event(trigger.event, entry, trigger.where)
    elif isinstance(trigger, InactivityTrigger):  # the last one long enough ago to fire soon
        span = trigger.for_.approx_seconds()
        event(trigger.event, start - timedelta(seconds=span - rng.randrange(WINDOW_DAYS * 86_400)))
    wheres = _wait_conditions(plan)
    waited = {step.event for step in plan.steps if isinstance(step, WaitForStep)}
    history = {latest.event for latest in plan.latest_events} - waited  # only read as data
    for name, chance in _behaviour(plan).items():
        times = 1 + (rng.random() < chance) + (rng.random() < chance)  # event_count >= 2 too
        if rng.random() < chance:
            for _ in range(times):
                offset = timedelta(seconds=rng.randrange(14 * 86_400))
                at = entry - offset * 4 if name in history else entry + offset  # before entry
                event(name, at, wheres.get(name))
    return found


def _wait_conditions(plan: Plan) -> dict[str, str]:
    """The `where` of the first wait for each event: its events are drawn to usually pass it."""
    found: dict[str, str] = {}
    for step in plan.steps:
        if isinstance(step, WaitForStep) and step.where:
            found.setdefault(step.event, step.where)
    return found


def _behaviour(plan: Plan) -> dict[str, float]:
    """Events the journey reacts to or reads, with how likely a contact is to cause each."""
    chances: dict[str, float] = {}
    for step in plan.steps:
        if isinstance(step, WaitForStep):
            chances[step.event] = 0.35
    for latest in plan.latest_events:  # read as data: most contacts have one
        chances.setdefault(latest.event, 0.6)
        if isinstance(step, BranchStep):
            for arm in step.arms:
                for name in _EVENT_CALL.findall(arm.condition):
                    chances.setdefault(name, 0.4)
    if plan.goal is not None:
        chances.setdefault(plan.goal.event, 0.2)
    for condition in plan.exit_when:
        if condition.event:
            chances.setdefault(condition.event, 0.03)
    chances.pop(getattr(plan.trigger, "event", ""), None)
    return {name: chances[name] for name in sorted(chances)}


def _properties(
    rng: random.Random, types: Mapping[str, str], where: str | None, record: Mapping[str, Any]
) -> dict[str, Any]:
    """Properties of the declared types; usually ones that pass the trigger's `where`.

    A property named like a contact attribute (`currency`, `plan`) takes the
    contact's value unless the `where` asks about it.
    """
    literals = [a or b or c for a, b, c in _LITERAL.findall(where or "")]
    candidates = [_draw(rng, types, literals) for _ in range(8)]
    for props in candidates:
        for name in props:
            if record.get(name) is not None and name not in (where or ""):
                props[name] = record[name]
    if where and rng.random() < 0.85:
        try:
            check = compile_expression(where)
        except ExpressionSyntaxError:
            return candidates[0]
        for props in candidates:
            try:
                if check.evaluate({"event": {"properties": props}}):
                    return props
            except Exception:  # a guess that does not fit is just skipped
                continue
    return candidates[0]


def _draw(rng: random.Random, types: Mapping[str, str], literals: list[str]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for name, kind in types.items():
        if kind == "number":
            numbers = [float(x) for x in literals if x.replace(".", "", 1).isdigit()]
            props[name] = rng.choice([*numbers, 0, 1, 2, 129.0, 349.0, 499.0])
        elif kind == "boolean":
            props[name] = rng.random() < 0.5
        else:
            words = [x for x in literals if not x.replace(".", "", 1).isdigit()]
            props[name] = rng.choice([*words, "web", "app", "other"])
    return props

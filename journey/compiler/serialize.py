"""Plan <-> plain JSON data, and the plan hash that names a version of a journey.

The store keeps every plan an enrollment refers to as this JSON, so
``plan_from_dict(plan_to_dict(p)) == p`` must hold (a property test checks it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from journey.model import (
    AttributeUpdate,
    AutoWinner,
    BranchArm,
    BranchStep,
    DateTrigger,
    Duration,
    EventTrigger,
    ExitCondition,
    ExitStep,
    FrequencyCap,
    Goal,
    InactivityTrigger,
    LatestEvent,
    Plan,
    QuietHours,
    ScheduleTrigger,
    SegmentTrigger,
    SendChannel,
    SendStep,
    SendVariant,
    SplitArm,
    SplitStep,
    UpdateStep,
    WaitForStep,
    WaitStep,
    WaitUntilStep,
    WebhookStep,
)

# Fields that describe a journey to people but do not change what happens to contacts.
_NOT_BEHAVIOUR = ("name", "description", "owner", "status", "source", "plan_hash")
# Send fields added later, left out while unset, so a plan's hash stays what it was.
_LEFT_OUT_WHEN_UNSET = frozenset({"fallback", "variants", "topic"})

_TRIGGERS: dict[str, type] = {
    "event": EventTrigger,
    "segment": SegmentTrigger,
    "date": DateTrigger,
    "schedule": ScheduleTrigger,
    "inactivity": InactivityTrigger,
}
_STEPS: dict[str, type] = {
    "send": SendStep,
    "wait": WaitStep,
    "wait_until": WaitUntilStep,
    "wait_for": WaitForStep,
    "branch": BranchStep,
    "split": SplitStep,
    "update": UpdateStep,
    "webhook": WebhookStep,
    "exit": ExitStep,
}
# field name -> how to rebuild a nested value
_NESTED: dict[str, Any] = {
    "arms": None,  # resolved by the step kind below
    "updates": lambda items: tuple(AttributeUpdate(**item) for item in items),
    "exit_when": lambda items: tuple(ExitCondition(**item) for item in items),
    "latest_events": lambda items: tuple(LatestEvent(**item) for item in items or ()),
    "goal": lambda value: _rebuild(Goal, value) if value else None,
    "quiet_hours": lambda value: QuietHours(**value) if isinstance(value, dict) else value,
    "frequency_cap": lambda value: (
        _rebuild(FrequencyCap, value) if isinstance(value, dict) else value
    ),
}


def format_duration(duration: Duration) -> str:
    """Duration -> its shortest DSL spelling (`1w2d`, `36h`), for display."""
    if duration.text:
        return duration.text
    sign = "-" if duration.calendar_days < 0 or duration.seconds < 0 else ""
    days, seconds = abs(duration.calendar_days), abs(duration.seconds)
    parts = []
    for amount, unit in ((days // 7, "w"), (days % 7, "d")):
        if amount:
            parts.append(f"{amount}{unit}")
    for size, unit in ((3600, "h"), (60, "m"), (1, "s")):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return sign + ("".join(parts) or "0s")


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return _plain(plan)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    if isinstance(value, Duration):
        return {"calendar_days": value.calendar_days, "seconds": value.seconds}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for item in dataclasses.fields(value):
            key = "for" if item.name == "for_" else item.name
            field_value = getattr(value, item.name)
            if (field_value is None and item.metadata.get("omit_if_none")) or (
                key in _LEFT_OUT_WHEN_UNSET and field_value in ((), None)
            ):
                continue
            out[key] = _plain(field_value)
        return out
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def plan_hash(plan: Plan) -> str:
    """SHA-256 of the canonical JSON of the plan's behaviour."""
    data = plan_to_dict(plan)
    for key in _NOT_BEHAVIOUR:
        data.pop(key, None)
    _drop_new_defaults(data)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def trigger_hash(plan: Plan) -> str:
    """SHA-256 of the canonical JSON of what arms the plan's trigger for each contact: the
    trigger and the plan's timezone (a date or schedule trigger's fallback zone). A new
    version with another one re-arms the stored contacts (journey.engine.scheduling)."""
    data = {"trigger": _plain(plan.trigger), "timezone": plan.timezone}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Keys added after plans were first stored, at their default: left out of the hash so
# that a journey which does not use them keeps its version (and its contacts in flight).
_PLAN_DEFAULTS_ADDED: dict[str, Any] = {
    "retrigger": "ignore",
    "tracking": None,
    "latest_events": [],
}
_STEP_DEFAULTS_ADDED: dict[str, Any] = {"as_name": None, "tracking": None}


def _drop_new_defaults(data: dict[str, Any]) -> None:
    for key, default in _PLAN_DEFAULTS_ADDED.items():
        if key in data and data[key] == default:
            del data[key]
    for step in data.get("steps") or ():
        for key, default in _STEP_DEFAULTS_ADDED.items():
            if key in step and step[key] == default:
                del step[key]


def with_hash(plan: Plan) -> Plan:
    return dataclasses.replace(plan, plan_hash=plan_hash(plan))


def plan_from_dict(data: dict[str, Any]) -> Plan:
    fields = dict(data)
    fields["trigger"] = _rebuild(_TRIGGERS[data["trigger"]["kind"]], data["trigger"])
    fields["steps"] = tuple(_step(item) for item in data["steps"])
    fields["locales"] = tuple(data["locales"])
    reentry = data["reentry"]
    fields["reentry"] = _duration(reentry) if isinstance(reentry, dict) else reentry
    fields["max_trigger_age"] = _duration(data["max_trigger_age"])
    for key in ("exit_when", "latest_events", "goal", "quiet_hours", "frequency_cap"):
        fields[key] = _NESTED[key](data.get(key))
    return Plan(**fields)


def _step(data: dict[str, Any]) -> Any:
    cls = _STEPS[data["kind"]]
    fields = _rebuild_fields(cls, data)
    if cls is BranchStep:
        fields["arms"] = tuple(BranchArm(**arm) for arm in data["arms"])
    elif cls is SplitStep:
        fields["arms"] = tuple(SplitArm(**arm) for arm in data["arms"])
        if data.get("auto_winner"):
            fields["auto_winner"] = _rebuild(AutoWinner, data["auto_winner"])
    elif cls is SendStep:
        fields["fallback"] = tuple(SendChannel(**c) for c in data.get("fallback", ()))
        fields["variants"] = tuple(SendVariant(**v) for v in data.get("variants", ()))
    elif cls is UpdateStep:
        fields["updates"] = _NESTED["updates"](data["updates"])
    elif cls is WaitUntilStep:
        fields["days"] = tuple(data["days"])
    return cls(**fields)


def _rebuild(cls: type, data: dict[str, Any]) -> Any:
    return cls(**_rebuild_fields(cls, data))


def _rebuild_fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        key = "for" if item.name == "for_" else item.name
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, dict) and set(value) == {"calendar_days", "seconds"}:
            value = _duration(value)
        fields[item.name] = value
    return fields


def _duration(data: dict[str, Any]) -> Duration:
    duration = Duration(calendar_days=data["calendar_days"], seconds=data["seconds"])
    return dataclasses.replace(duration, text=format_duration(duration))

"""Valid journey document -> Plan: targets resolved, durations parsed, defaults applied.

The compiler trusts the validator: it is only called on documents without
errors, so a surprise here is a bug and raises ``InvalidInput`` rather than
guessing.
"""

from __future__ import annotations

from typing import Any

from journey.compiler.experiments import build_auto_winner
from journey.compiler.send_steps import send_step
from journey.durations import normalise_hhmm, parse_duration
from journey.errors import InvalidInput
from journey.model import (
    END,
    STEP_KINDS,
    WEEKDAYS,
    AttributeUpdate,
    BranchArm,
    BranchStep,
    DateTrigger,
    Duration,
    EventTrigger,
    ExitCondition,
    ExitStep,
    Goal,
    InactivityTrigger,
    LatestEvent,
    Plan,
    Reentry,
    ScheduleTrigger,
    SegmentTrigger,
    SplitArm,
    SplitStep,
    Step,
    Trigger,
    UpdateStep,
    WaitForStep,
    WaitStep,
    WaitUntilStep,
    WebhookStep,
)
from journey.workspace import Workspace, build_frequency_cap, build_quiet_hours


def build_plan(data: dict[str, Any], workspace: Workspace, *, source: str = "") -> Plan:
    """Build the plan without its hash (see ``compile_journey``)."""
    try:
        trigger = _trigger(data["trigger"], workspace)
        goal = data.get("goal")
        return Plan(
            journey_id=data["id"],
            name=data.get("name", data["id"]),
            kind=data["kind"],
            category=data.get("category", "marketing"),
            status=data.get("status", "active"),
            description=data.get("description", "") or "",
            owner=data.get("owner", "") or "",
            locales=tuple(data.get("locales") or (workspace.default_locale,)),
            timezone=data.get("timezone"),
            trigger=trigger,
            audience=data.get("audience"),
            reentry=_reentry(data.get("reentry"), trigger),
            retrigger=data.get("retrigger", "ignore"),
            latest_events=tuple(
                LatestEvent(name=name, event=event)
                for name, event in (data.get("latest_events") or {}).items()
            ),
            exit_when=tuple(_exit_condition(item) for item in data.get("exit_when") or ()),
            goal=_goal(goal) if isinstance(goal, dict) else None,
            quiet_hours=_optional_rule(
                data, "quiet_hours", build_quiet_hours(data.get("quiet_hours"))
            ),
            frequency_cap=_optional_rule(
                data,
                "frequency_cap",
                build_frequency_cap(data.get("frequency_cap"), workspace.max_defer),
            ),
            max_trigger_age=_duration(data.get("max_trigger_age"), workspace.max_trigger_age),
            on_change=data.get("on_change", "keep"),
            steps=_steps(data["steps"], workspace),
            tracking=False if data.get("tracking") is False else None,
            source=source,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(f"{source or data.get('id')}: cannot compile: {exc}") from exc


def _optional_rule(data: dict[str, Any], key: str, built: Any) -> Any:
    """Absent -> None (the workspace's rule applies); `false` -> False; else the rule."""
    if key not in data:
        return None
    return built


def _duration(value: Any, default: Duration) -> Duration:
    return default if value is None else parse_duration(value)


def _trigger(value: dict[str, Any], workspace: Workspace) -> Trigger:
    if "event" in value:
        event = value["event"]
        if isinstance(event, dict):  # `event: {name, where}` long form
            return EventTrigger(event=event["name"], where=event.get("where"))
        return EventTrigger(event=event, where=value.get("where"))
    if "segment" in value:
        segment = value["segment"]
        options = segment if isinstance(segment, dict) else value
        condition = segment["condition"] if isinstance(segment, dict) else segment
        return SegmentTrigger(
            condition=condition,
            include_existing=bool(options.get("include_existing", False)),
            recheck=_duration(options.get("recheck"), workspace.segment_recheck),
        )
    if "date" in value:
        date = value["date"]
        return DateTrigger(
            attribute=date["attribute"],
            offset=parse_duration(date["offset"], allow_negative=True)
            if date.get("offset") is not None
            else Duration(),
            at=normalise_hhmm(date.get("at", "09:00")),
            repeat=date.get("repeat"),
            catch_up=_duration(date.get("catch_up"), Duration(seconds=86400, text="24h")),
        )
    if "schedule" in value:
        schedule = value["schedule"]
        return ScheduleTrigger(
            cron=" ".join(schedule["cron"].split()), timezone=schedule.get("timezone")
        )
    if "inactivity" in value:
        inactivity = value["inactivity"]
        return InactivityTrigger(event=inactivity["event"], for_=parse_duration(inactivity["for"]))
    raise ValueError("trigger has no known kind")


def _reentry(value: Any, trigger: Trigger) -> Reentry:
    if value is None:
        recurring = isinstance(trigger, (ScheduleTrigger, InactivityTrigger)) or (
            isinstance(trigger, DateTrigger) and trigger.repeat == "yearly"
        )
        return "always" if recurring else "never"
    if value in ("never", "always"):
        return value  # type: ignore[no-any-return]
    return parse_duration(value)


def _exit_condition(item: Any) -> ExitCondition:
    if isinstance(item, str):
        return ExitCondition(expression=item)
    return ExitCondition(event=item["event"], where=item.get("where"))


def _goal(goal: dict[str, Any]) -> Goal:
    return Goal(
        event=goal["event"],
        within=parse_duration(goal["within"]),
        where=goal.get("where"),
        exit=bool(goal.get("exit", True)),
    )


def _steps(items: list[dict[str, Any]], workspace: Workspace) -> tuple[Step, ...]:
    steps: list[Step] = []
    for index, item in enumerate(items):
        following = items[index + 1]["id"] if index + 1 < len(items) else END
        steps.append(_step(item, following, workspace))
    return tuple(steps)


def _step(item: dict[str, Any], following: str, workspace: Workspace) -> Step:
    step_id: str = item["id"]
    next_id: str = item.get("next", following)
    action = next(key for key in STEP_KINDS if key in item)
    value = item[action]
    if action == "send":
        return send_step(step_id, next_id, value, workspace)
    if action == "wait":
        return WaitStep(id=step_id, next=next_id, duration=parse_duration(value))
    if action == "wait_until":
        days = tuple(str(day).lower()[:3] for day in value.get("days") or WEEKDAYS)
        return WaitUntilStep(
            id=step_id, next=next_id, time=normalise_hhmm(value["time"]), days=days
        )
    if action == "wait_for":
        return WaitForStep(
            id=step_id,
            next=next_id,
            event=value["event"],
            where=value.get("where"),
            timeout=parse_duration(value["timeout"]),
            on_timeout=value.get("on_timeout", following),
            as_name=value.get("as"),
        )
    if action == "branch":
        return _branch(step_id, value, next_id)
    if action == "split":
        arms = tuple(
            SplitArm(
                weight=int(arm["weight"]), goto=arm["goto"], name=arm.get("name") or arm["goto"]
            )
            for arm in value
        )
        winner = build_auto_winner(item.get("auto_winner"))
        return SplitStep(id=step_id, next=next_id, arms=arms, auto_winner=winner)
    if action == "update":
        return UpdateStep(id=step_id, next=next_id, updates=_updates(value))
    if action == "webhook":
        return WebhookStep(
            id=step_id,
            next=next_id,
            channel=value.get("channel"),
            url=value.get("url"),
            path=value.get("path"),
            body=value.get("body"),
            on_failure=value.get("on_failure", "continue"),
        )
    return ExitStep(id=step_id, reason=str(value))


def _branch(step_id: str, items: list[dict[str, Any]], fallthrough: str) -> BranchStep:
    arms: list[BranchArm] = []
    otherwise = fallthrough
    for arm in items:
        if "else" in arm:
            otherwise = arm["else"]
        else:
            arms.append(BranchArm(condition=arm["if"], goto=arm["goto"]))
    return BranchStep(id=step_id, next=otherwise, arms=tuple(arms))


def _updates(value: dict[str, Any]) -> tuple[AttributeUpdate, ...]:
    updates = []
    for attribute, change in value.items():
        if isinstance(change, dict) and set(change) == {"expr"}:
            updates.append(AttributeUpdate(attribute=attribute, expr=change["expr"]))
        else:
            updates.append(AttributeUpdate(attribute=attribute, value=change))
    return tuple(updates)

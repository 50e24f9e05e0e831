"""What an event or a contact change does to an existing enrollment.

Order for an event: exit_when, then goal, then a matching wait_for (triggers are
the shell's next call). An event exactly at a deadline counts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from journey.engine.actions import Action, Convert, Exit, Record, Transition
from journey.engine.context import EngineSettings, EvalScope, History, enrollment_scope
from journey.engine.state import Enrollment, Entry
from journey.engine.steps import exit_when_holds, exited, goto
from journey.errors import ExpressionError
from journey.localtime import add_duration
from journey.model import Contact, Event, Plan, WaitForStep


def on_event(
    plan: Plan,
    enrollment: Enrollment,
    contact: Contact,
    history: History,
    event: Event,
    now: datetime,
    settings: EngineSettings,
) -> Transition:
    """exit_when, goal (also for ended enrollments), then wait_for; expression errors exit."""
    scope = enrollment_scope(plan, enrollment, contact, history, now, settings, event=event)
    zone = scope.zone
    actions: list[Action] = []
    try:
        if enrollment.is_active and _exit_when_event(plan, scope, event):
            enrollment = exited(enrollment, "exit_when", now)
            actions.append(Exit(reason="exit_when"))
        goal = plan.goal
        if (
            goal is not None
            and enrollment.converted_at is None
            and event.name == goal.event
            and enrollment.entered_at <= event.timestamp
            and event.timestamp <= add_duration(enrollment.entered_at, goal.within, zone)
            and scope.holds(goal.where)
        ):
            enrollment = replace(enrollment, converted_at=event.timestamp)
            actions.append(Convert(at=event.timestamp))
            if goal.exit and enrollment.is_active:
                enrollment = exited(enrollment, "goal", now)
                actions.append(Exit(reason="goal"))
        if enrollment.is_active:
            resumed = _wait_for_match(plan, enrollment, scope, event)
            if resumed is not None:
                return Transition(
                    enrollment=resumed.enrollment, actions=(*actions, *resumed.actions)
                )
    except ExpressionError as exc:
        if not enrollment.is_active:
            return Transition(enrollment=enrollment, actions=tuple(actions))
        record = Record(step_id=enrollment.step_id, outcome="failed", detail=str(exc))
        return Transition(
            enrollment=exited(enrollment, "error", now),
            actions=(*actions, record, Exit(reason="error")),
        )
    return Transition(enrollment=enrollment, actions=tuple(actions))


def _exit_when_event(plan: Plan, scope: EvalScope, event: Event) -> bool:
    for item in plan.exit_when:
        if item.event is not None:
            if item.event == event.name and scope.holds(item.where):
                return True
        elif item.expression and scope.holds(item.expression):
            return True
    return False


def _wait_for_match(
    plan: Plan, enrollment: Enrollment, scope: EvalScope, event: Event
) -> Transition | None:
    try:
        step = plan.step(enrollment.step_id)
    except KeyError:
        return None
    if not isinstance(step, WaitForStep) or enrollment.phase != "wait":
        return None
    if event.name != step.event or event.timestamp < enrollment.step_entered_at:
        return None
    if enrollment.due_at is not None and event.timestamp > enrollment.due_at:
        return None
    if not scope.holds(step.where):
        return None
    record = Record(step_id=step.id, outcome="matched", detail=event.id)
    if step.as_name:
        kept = Entry(name=event.name, timestamp=event.timestamp, properties=event.properties)
        enrollment = replace(enrollment, events={**enrollment.events, step.as_name: kept})
    return Transition(enrollment=goto(enrollment, step.next, scope.now), actions=(record,))


def on_contact_change(
    plan: Plan,
    enrollment: Enrollment,
    contact: Contact,
    history: History,
    now: datetime,
    settings: EngineSettings,
) -> Transition:
    """A changed contact may now match an exit_when expression."""
    if not enrollment.is_active:
        return Transition(enrollment=enrollment)
    scope = enrollment_scope(plan, enrollment, contact, history, now, settings)
    try:
        if exit_when_holds(plan, scope):
            return Transition(
                enrollment=exited(enrollment, "exit_when", now), actions=(Exit(reason="exit_when"),)
            )
    except ExpressionError as exc:
        record = Record(step_id=enrollment.step_id, outcome="failed", detail=str(exc))
        return Transition(
            enrollment=exited(enrollment, "error", now), actions=(record, Exit(reason="error"))
        )
    return Transition(enrollment=enrollment)

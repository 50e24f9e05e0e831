"""The pure state machine: one step of one enrollment at `now` -> a Transition.

`advance` runs the enrollment's current step once: it enters it (send, branch,
split, update, webhook, exit act at once; waits set a due time) or, when a wait
is over, moves on. The shell calls it again while the enrollment is due.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from journey.engine.actions import (
    Action,
    CallWebhook,
    Exit,
    Record,
    Send,
    SkipSend,
    Transition,
)
from journey.engine.buckets import split_bucket
from journey.engine.context import EngineSettings, EvalScope, History, enrollment_scope
from journey.engine.moments import wall_time_after, window_end
from journey.engine.send_choice import choose_channel, variant_for
from journey.engine.sends import Gate, gate_send
from journey.engine.state import Enrollment, StepOutcome, delivery_key, evolve
from journey.errors import ExpressionError
from journey.model import (
    END,
    BranchStep,
    Contact,
    ExitStep,
    Plan,
    SendStep,
    SplitStep,
    Step,
    UpdateStep,
    WaitForStep,
    WaitStep,
    WaitUntilStep,
    WebhookStep,
)


def split_arm(step: SplitStep, journey_id: str, contact_id: str) -> tuple[str, str]:
    """(arm name, goto) for the contact; arms take consecutive ranges of weight x 100."""
    bucket = split_bucket(journey_id, step.id, contact_id)
    upper = 0
    for arm in step.arms:
        upper += arm.weight * 100
        if bucket < upper:
            return arm.name, arm.goto
    last = step.arms[-1]
    return last.name, last.goto


def goto(enrollment: Enrollment, target: str, now: datetime) -> Enrollment:
    """Move to `target` (its step runs when due, i.e. at once); END completes later."""
    return evolve(
        enrollment,
        step_id=target,
        phase="enter",
        step_entered_at=now,
        due_at=now,
        defer_since=None,
    )


def exited(enrollment: Enrollment, reason: str, now: datetime) -> Enrollment:
    return evolve(
        enrollment, status="exited", exit_reason=reason, exited_at=now, due_at=None, phase="enter"
    )


def exit_transition(
    enrollment: Enrollment, reason: str, now: datetime, *records: Action
) -> Transition:
    return Transition(
        enrollment=exited(enrollment, reason, now), actions=(*records, Exit(reason=reason))
    )


def fail(enrollment: Enrollment, step_id: str, reason: str, now: datetime) -> Transition:
    """A run-time failure: the step is `failed` and the contact exits with `error`."""
    record = Record(step_id=step_id, outcome="failed", detail=reason)
    return exit_transition(enrollment, "error", now, record)


def exit_when_holds(plan: Plan, scope: EvalScope) -> bool:
    """Any expression item of exit_when holds (event items are matched on events)."""
    return any(item.expression and scope.holds(item.expression) for item in plan.exit_when)


def advance(
    plan: Plan,
    enrollment: Enrollment,
    contact: Contact,
    history: History,
    now: datetime,
    settings: EngineSettings,
    *,
    check_exit_when: bool = True,
) -> Transition:
    """Run the current step once. Expression failures become `failed` + exit `error`.

    `check_exit_when=False` lets a shell that already checked exit_when for this
    contact at this instant (same contact, same `now`) skip re-evaluating it.
    """
    if not enrollment.is_active:
        return Transition(enrollment=enrollment)
    if enrollment.step_id == END:
        return exit_transition(enrollment, "completed", now)
    scope = enrollment_scope(plan, enrollment, contact, history, now, settings)
    try:
        step = plan.step(enrollment.step_id)
    except KeyError:
        return exit_transition(enrollment, "step_removed", now)
    try:
        if check_exit_when and exit_when_holds(plan, scope):
            return exit_transition(enrollment, "exit_when", now)
        if enrollment.phase == "wait" and not isinstance(step, SendStep):
            return _resume(step, enrollment, now)
        if enrollment.phase == "enter":
            visits = dict(enrollment.visits)
            visits[step.id] = visits.get(step.id, 0) + 1
            enrollment = evolve(enrollment, visits=visits, step_entered_at=now)
        return _run(plan, step, enrollment, scope)
    except ExpressionError as exc:
        return fail(enrollment, step.id, str(exc), now)


def _resume(step: Step, enrollment: Enrollment, now: datetime) -> Transition:
    """A wait is over: waits move on; a wait_for timed out."""
    if isinstance(step, WaitForStep):
        record = Record(step_id=step.id, outcome="timeout")
        if step.as_name in enrollment.events:  # a match from an earlier visit is stale now
            events = {k: v for k, v in enrollment.events.items() if k != step.as_name}
            enrollment = evolve(enrollment, events=events)
        return Transition(enrollment=goto(enrollment, step.on_timeout, now), actions=(record,))
    return Transition(enrollment=goto(enrollment, step.next, now))


def _waiting(enrollment: Enrollment, step: Step, due: datetime, detail: str = "") -> Transition:
    waiting = evolve(enrollment, phase="wait", due_at=due)
    return Transition(
        enrollment=waiting, actions=(Record(step_id=step.id, outcome="waiting", detail=detail),)
    )


def _run(plan: Plan, step: Step, enrollment: Enrollment, scope: EvalScope) -> Transition:
    now = scope.now
    if isinstance(step, SendStep):
        return _send(plan, step, enrollment, scope)
    if isinstance(step, WaitStep):
        return _waiting(enrollment, step, window_end(now, step.duration, scope.zone))
    if isinstance(step, WaitUntilStep):
        due = wall_time_after(now, step.time, step.days, scope.zone)
        if due <= now:
            return _done(enrollment, step, step.next, now)
        return _waiting(enrollment, step, due)
    if isinstance(step, WaitForStep):
        return _waiting(enrollment, step, window_end(now, step.timeout, scope.zone))
    if isinstance(step, BranchStep):
        target = next((arm.goto for arm in step.arms if scope.holds(arm.condition)), step.next)
        return _done(enrollment, step, target, now, detail=target)
    if isinstance(step, SplitStep):
        name, target = split_arm(step, plan.journey_id, enrollment.contact_id)
        if step.auto_winner is not None:  # a decided winner takes every later entrant
            winner = scope.history.split_winner(plan, step, now)
            name, target = next(
                ((a.name, a.goto) for a in step.arms if a.name == winner), (name, target)
            )
        arms = {**enrollment.arms, step.id: name}
        enrollment = evolve(enrollment, split_arm=name, arms=arms)
        return _done(enrollment, step, target, now, detail=name)
    if isinstance(step, UpdateStep):
        return _update(step, enrollment, scope)
    if isinstance(step, WebhookStep):
        key = delivery_key(enrollment.id, step.id, enrollment.occurrence(step.id))
        moved = goto(enrollment, step.next, now)
        call = CallWebhook(step=step, delivery_key=key, events=scope.event_data())
        return Transition(enrollment=moved, actions=(call,))
    assert isinstance(step, ExitStep)
    return exit_transition(enrollment, step.reason, now, Record(step_id=step.id, outcome="done"))


def _done(
    enrollment: Enrollment, step: Step, target: str, now: datetime, detail: str = ""
) -> Transition:
    record = Record(step_id=step.id, outcome="done", detail=detail)
    return Transition(enrollment=goto(enrollment, target, now), actions=(record,))


def _update(step: UpdateStep, enrollment: Enrollment, scope: EvalScope) -> Transition:
    attributes: dict[str, Any] = dict(scope.contact.attributes)
    for update in step.updates:
        value = scope.value(update.expr) if update.expr is not None else update.value
        if value is None:
            attributes.pop(update.attribute, None)
        else:
            attributes[update.attribute] = value
    contact = replace(scope.contact, attributes=attributes)
    done = _done(enrollment, step, step.next, scope.now)
    return replace(done, contact=contact)


def _send(plan: Plan, step: SendStep, enrollment: Enrollment, scope: EvalScope) -> Transition:
    now = scope.now
    key = delivery_key(enrollment.id, step.id, enrollment.occurrence(step.id))
    choice = choose_channel(plan, step, scope.contact, scope.settings.topic_defaults)
    variant = variant_for(step, plan.journey_id, enrollment.contact_id)
    gate = (
        gate_send(
            plan=plan,
            step=choice.step,
            contact=scope.contact,
            history=scope.history,
            now=now,
            zone=scope.zone,
            settings=scope.settings,
            defer_since=enrollment.defer_since,
        )
        if choice.step is not None
        else Gate(verdict="suppressed", detail=choice.detail)
    )
    if gate.verdict == "defer":
        assert gate.until is not None
        deferred = evolve(
            enrollment, phase="wait", due_at=gate.until, defer_since=enrollment.defer_since or now
        )
        record = Record(step_id=step.id, outcome="deferred", detail=gate.detail)
        return Transition(enrollment=deferred, actions=(record,))
    if variant is not None:  # the variant is the contact's arm of this step, as a split's
        enrollment = evolve(enrollment, arms={**enrollment.arms, step.id: variant.name})
    moved = goto(enrollment, step.next, now)
    chosen = variant.name if variant is not None else ""
    if gate.verdict == "send" and choice.step is not None:
        detail = "; ".join(d for d in (f"variant {chosen}" if chosen else "", choice.detail) if d)
        return Transition(
            enrollment=moved,
            actions=(
                Send(
                    step=choice.step,
                    delivery_key=key,
                    variant=variant,
                    detail=choice.detail,
                    events=scope.event_data(),
                ),
                Record(step_id=step.id, outcome="sent", detail=detail),
            ),
        )
    outcome: StepOutcome = "capped" if gate.verdict == "capped" else "suppressed"
    return Transition(
        enrollment=moved,
        actions=(
            SkipSend(
                step=choice.step or step, delivery_key=key, reason=outcome, detail=gate.detail
            ),
            Record(step_id=step.id, outcome=outcome, detail=gate.detail),
        ),
    )

"""Performing the engine's actions for the runner: render and write pending deliveries.

The delivery worker (journey.daemon.delivery) attempts them, in every shell.

Split from the runner so that each module keeps one idea: this one is "side
effects of a step"; the runner is "which enrollment runs when".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from journey.clock import Clock
from journey.engine.actions import CallWebhook, Convert, Exit, Record, Send, SkipSend, Transition
from journey.engine.context import EngineSettings
from journey.engine.handoff import WrittenDeliveries
from journey.engine.perform import (
    Happening,
    Listener,
    Renders,
    payload_of,
    pending_delivery,
    render_message,
    webhook_request,
)
from journey.engine.sends_ahead import SendTimesAhead
from journey.engine.state import DeliveryRecord, Enrollment, StepRecord
from journey.engine.steps import exited, fail
from journey.errors import RenderError
from journey.event_properties import readable_event
from journey.model import Contact, Plan, SendStep, WebhookStep
from journey.tracking.links import track_message, tracks
from journey.unsubscribe import make_unsubscribe_token, unsubscribe_url

if TYPE_CHECKING:  # the engine depends on the contract's shape, not on a store
    from journey.store.abc import StateStore


@lru_cache(maxsize=8192)
def signed_token(secret: bytes, contact_id: str, journey_id: str, topic: str = "") -> str:
    """The template link and the List-Unsubscribe header sign the same pair: sign once."""
    return make_unsubscribe_token(secret, contact_id, journey_id, topic)


class PerformingMixin:
    """Side effects of transitions; the Runner provides the attributes below."""

    store: StateStore
    settings: EngineSettings
    unsubscribe_secret: bytes
    renderer: Renders
    clock: Clock
    worker: str
    lease: timedelta
    listener: Listener | None
    written: WrittenDeliveries | None  # handed to the delivery worker of the same shell
    sends_ahead: SendTimesAhead | None  # the claimed batch's marketing send times

    def plan_for(self, enrollment: Enrollment) -> Plan | None:
        raise NotImplementedError

    def _perform(
        self,
        plan: Plan,
        before: Enrollment,
        transition: Transition,
        contact: Contact,
        now: datetime,
    ) -> Transition:
        """Do the side effects; a render failure turns the step into `failed` + exit `error`."""
        actions = transition.actions
        for action in actions:
            if isinstance(action, Send):
                try:
                    self._send(plan, action.step, transition.enrollment, contact, action, now)
                except RenderError as exc:
                    failed = fail(before, action.step.id, str(exc), now)
                    self._record(plan, failed.enrollment, failed.actions, now)
                    return failed
            elif isinstance(action, CallWebhook):
                transition = self._webhook(plan, action, transition, contact, now)
        self._record(plan, transition.enrollment, transition.actions, now)
        return transition

    def _entry(self, enrollment: Enrollment) -> dict[str, Any] | None:
        """`entry` as the step's templates read it (declared-but-absent properties: none)."""
        return readable_event(enrollment.entry.as_context(), self.settings.event_properties)

    def _send(
        self,
        plan: Plan,
        step: SendStep,
        enrollment: Enrollment,
        contact: Contact,
        action: Send,
        now: datetime,
    ) -> None:
        link = unsubscribe_url(
            self.settings.unsubscribe_base_for(step.channel),
            signed_token(self.unsubscribe_secret, contact.id, plan.journey_id, step.topic or ""),
        )
        message = render_message(
            self.renderer,
            plan,
            step,
            enrollment,
            contact,
            action.delivery_key,
            now,
            link,
            variant=action.variant,
            events=action.events,
            entry=self._entry(enrollment),
        )
        tracking = self.settings.tracking
        if tracking is not None and tracks(tracking, plan, step, contact):
            message = track_message(message, tracking, self.unsubscribe_secret)
        record = pending_delivery(
            key=action.delivery_key,
            enrollment=enrollment,
            plan=plan,
            step_id=step.id,
            contact_id=contact.id,
            channel=step.channel,
            kind=step.message,
            payload=payload_of(message),
            now=now,
        )
        if self._add_delivery(record):
            if self.written is not None:
                self.written.written(record)
            self._emit(
                "send",
                enrollment,
                now,
                step_id=step.id,
                message=message,
                variant=action.variant.name if action.variant is not None else "",
                detail=action.detail,
            )

    def _webhook(
        self,
        plan: Plan,
        action: CallWebhook,
        transition: Transition,
        contact: Contact,
        now: datetime,
    ) -> Transition:
        enrollment = transition.enrollment
        step = action.step
        try:
            request = webhook_request(
                self.renderer,
                plan,
                step,
                enrollment,
                contact,
                action.delivery_key,
                now,
                events=action.events,
                entry=self._entry(enrollment),
            )
        except RenderError as exc:
            return fail(enrollment, step.id, str(exc), now)
        record = pending_delivery(
            key=action.delivery_key,
            enrollment=enrollment,
            plan=plan,
            step_id=step.id,
            contact_id=contact.id,
            channel=step.channel or "webhook",
            kind="webhook",
            payload=payload_of(request),
            now=now,
        )
        if self._add_delivery(record):
            self._emit("webhook", enrollment, now, step_id=step.id)
        return transition  # the outcome is recorded when the worker knows it

    def _record(
        self, plan: Plan, enrollment: Enrollment, actions: tuple[Any, ...], now: datetime
    ) -> None:
        records = []
        for action in actions:
            if isinstance(action, Record):
                records.append(
                    StepRecord(
                        enrollment_id=enrollment.id,
                        journey_id=plan.journey_id,
                        contact_id=enrollment.contact_id,
                        step_id=action.step_id,
                        outcome=action.outcome,
                        at=now,
                        detail=action.detail,
                    )
                )
                if action.outcome == "failed":
                    self._emit(
                        "fail", enrollment, now, step_id=action.step_id, reason=action.detail
                    )
            elif isinstance(action, SkipSend):
                self._add_delivery(
                    pending_delivery(
                        key=action.delivery_key,
                        enrollment=enrollment,
                        plan=plan,
                        step_id=action.step.id,
                        contact_id=enrollment.contact_id,
                        channel=action.step.channel,
                        kind=action.step.message,
                        payload={},
                        now=now,
                        status="capped" if action.reason == "capped" else "suppressed",
                    )
                )
                self._emit(
                    "skip",
                    enrollment,
                    now,
                    step_id=action.step.id,
                    reason=action.reason,
                    detail=action.detail,
                )
            elif isinstance(action, Exit):
                self._emit(
                    "exit", enrollment, now, step_id=enrollment.step_id, reason=action.reason
                )
            elif isinstance(action, Convert):
                self._emit("convert", enrollment, action.at)
        if records:
            self.store.add_step_records(records)

    def _add_delivery(self, record: DeliveryRecord) -> bool:
        """Write `record` (False: its key was written before); the batch's send times learn it."""
        added = self.store.add_delivery(record)
        if added and self.sends_ahead is not None:
            self.sends_ahead.written(record)
        return added

    def _emit(self, kind: Any, enrollment: Enrollment, at: datetime, **fields: Any) -> None:
        if self.listener is not None:
            self.listener(
                Happening(
                    kind=kind,
                    journey_id=enrollment.journey_id,
                    contact_id=enrollment.contact_id,
                    enrollment_id=enrollment.id,
                    at=at,
                    **fields,
                )
            )

    # -------------------------------------------------------------- deliveries
    def webhook_outcome(self, record: DeliveryRecord, sent: bool, detail: str) -> None:
        """A webhook the daemon's worker finally sent or gave up on (it ran after the step).

        The journey went on when the call was queued; the outcome is recorded on the
        step when it is known, and `on_failure: exit` ends the enrollment then, wherever
        it is, if it is still active.
        """
        now = self.clock.now()
        enrollment = self.store.get_enrollment(record.enrollment_id)
        plan = self.plan_for(enrollment) if enrollment is not None else None
        if enrollment is None or plan is None:
            return
        outcome = Record(
            step_id=record.step_id,
            outcome="done" if sent else "failed",
            detail="" if sent else f"webhook failed: {detail}",
        )
        step = next((s for s in plan.steps if s.id == record.step_id), None)
        exits = isinstance(step, WebhookStep) and step.on_failure == "exit"
        if sent or not exits or not enrollment.is_active:
            self._record(plan, enrollment, (outcome,), now)
            return
        gone = exited(enrollment, "error", now)
        self._record(plan, gone, (outcome, Exit(reason="error")), now)
        self.store.save_enrollment(gone)

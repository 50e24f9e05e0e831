"""Performing what the engine asked: render, write the delivery, hand it to the sink.

Writing the pending delivery (with its deterministic key) and attempting it are
separate steps, so the daemon can plug in its own retry worker; `simulate` and
`test` attempt at once through an in-memory sink.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from journey.channels.base import WebhookRequest
from journey.engine.sends import address_for
from journey.engine.state import DeliveryRecord, Enrollment
from journey.errors import DeliveryError, RenderError, UnknownOutcome
from journey.model import Contact, Message, Plan, SendStep, WebhookStep
from journey.store.abc import StateStore

HappeningKind = Literal["enter", "send", "skip", "exit", "convert", "fail", "webhook"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Happening:
    """Something a contact experienced; simulate and test build their reports from these."""

    kind: HappeningKind
    journey_id: str
    contact_id: str
    enrollment_id: str
    at: datetime
    step_id: str = ""
    reason: str = ""
    message: Message | None = None


Listener = Callable[[Happening], None]


class DeliverySink(Protocol):
    """Where messages go; raises DeliveryError(permanent=...) when they cannot."""

    def deliver(self, message: Message) -> object: ...

    def call_webhook(self, request: WebhookRequest) -> object: ...


@dataclass(slots=True)
class MemorySink:
    """Keeps everything; for simulate, test and benchmarks."""

    messages: list[Message] = field(default_factory=list)
    webhooks: list[WebhookRequest] = field(default_factory=list)
    keep: bool = True

    def deliver(self, message: Message) -> object:
        if self.keep:
            self.messages.append(message)
        return None

    def call_webhook(self, request: WebhookRequest) -> object:
        if self.keep:
            self.webhooks.append(request)
        return None


class Renders(Protocol):
    """journey.renderer.Renderer, as far as the runner uses it."""

    def render(
        self,
        *,
        template: str,
        message: Any,
        contact: Contact,
        locales: Any,
        context: Mapping[str, Any],
        now: datetime,
        timezone: str | None = None,
    ) -> Any: ...

    def render_string(self, source: str, context: Mapping[str, Any]) -> str: ...


RETRY_DELAYS = (60, 300, 1800, 7200, 21600)  # seconds; then the delivery is dead


def render_message(
    renderer: Renders,
    plan: Plan,
    step: SendStep,
    enrollment: Enrollment,
    contact: Contact,
    key: str,
    now: datetime,
    unsubscribe_link: str,
) -> Message:
    """Render the step for the contact; raises RenderError.

    `unsubscribe_link` is the signed one-click URL, the same one the
    List-Unsubscribe header carries.
    """
    context = {
        "entry": enrollment.entry.as_context(),
        "journey": {"id": plan.journey_id, "name": plan.name, "kind": plan.kind},
        "unsubscribe_url": unsubscribe_link,
        "message_id": key,
    }
    rendered = renderer.render(
        template=step.template,
        message=step.message,
        contact=contact,
        locales=plan.locales,
        context=context,
        now=now,
        timezone=plan.timezone,
    )
    return Message(
        delivery_key=key,
        channel=step.channel,
        message=step.message,
        to=address_for(contact, step.message) or "",
        locale=rendered.locale,
        subject=rendered.subject,
        preheader=rendered.preheader,
        text=rendered.text,
        html=rendered.html,
        title=rendered.title,
        journey_id=plan.journey_id,
        step_id=step.id,
        contact_id=contact.id,
        unsubscribe_url=unsubscribe_link,
    )


def render_body(renderer: Renders, body: Any, context: Mapping[str, Any]) -> Any:
    """String leaves of a webhook body are templates (no HTML escaping)."""
    if isinstance(body, str):
        return renderer.render_string(body, context)
    if isinstance(body, Mapping):
        return {k: render_body(renderer, v, context) for k, v in body.items()}
    if isinstance(body, list):
        return [render_body(renderer, v, context) for v in body]
    return body


def webhook_request(
    renderer: Renders,
    plan: Plan,
    step: WebhookStep,
    enrollment: Enrollment,
    contact: Contact,
    key: str,
    now: datetime,
) -> WebhookRequest:
    context = {
        "contact": contact,
        "entry": enrollment.entry.as_context(),
        "journey": {"id": plan.journey_id, "name": plan.name, "kind": plan.kind},
        "now": now,
    }
    return WebhookRequest(
        delivery_key=key,
        body=render_body(renderer, step.body, context),
        url=step.url,
        path=step.path,
        journey_id=plan.journey_id,
        step_id=step.id,
        contact_id=contact.id,
    )


def message_from_payload(payload: Mapping[str, Any]) -> Message:
    return Message(**payload)


def pending_delivery(
    *,
    key: str,
    enrollment: Enrollment,
    plan: Plan,
    step_id: str,
    contact_id: str,
    channel: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    status: Literal["pending", "suppressed", "capped"] = "pending",
) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_key=key,
        enrollment_id=enrollment.id,
        journey_id=plan.journey_id,
        step_id=step_id,
        contact_id=contact_id,
        channel=channel,
        kind=kind,
        category=plan.category,
        payload=payload,
        status=status,
        created_at=now,
        next_attempt_at=now if status == "pending" else None,
    )


def payload_of(item: Message | WebhookRequest) -> dict[str, Any]:
    """The stored payload: written out by hand, `asdict` is too slow for the hot path."""
    if isinstance(item, WebhookRequest):
        return asdict(item)
    return {
        "delivery_key": item.delivery_key,
        "channel": item.channel,
        "message": item.message,
        "to": item.to,
        "locale": item.locale,
        "subject": item.subject,
        "preheader": item.preheader,
        "text": item.text,
        "html": item.html,
        "title": item.title,
        "headers": dict(item.headers),
        "journey_id": item.journey_id,
        "step_id": item.step_id,
        "contact_id": item.contact_id,
        "unsubscribe_url": item.unsubscribe_url,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptResult:
    status: Literal["sent", "pending", "dead", "suppressed", "parked", "uncertain", "unconfirmed"]
    error: str = ""


def attempt(
    store: StateStore, sink: DeliverySink, record: DeliveryRecord, now: datetime
) -> AttemptResult:
    """One delivery attempt; updates the row. Consent is re-checked at send time."""
    attempts = record.attempts + 1
    if record.kind != "webhook" and record.category == "marketing":
        contact = store.get_contact(record.contact_id)
        if contact is None or not contact.has_consent(record.kind):
            store.update_delivery(record.delivery_key, status="suppressed", attempts=attempts)
            return AttemptResult(status="suppressed", error="consent withdrawn")
    try:
        if record.kind == "webhook":
            sink.call_webhook(WebhookRequest(**record.payload))
        else:
            sink.deliver(message_from_payload(record.payload))
    except DeliveryError as exc:
        # The daemon's states (journey.daemon.delivery): an unknown outcome is resent once;
        # transient failures past the schedule are parked, not dead.
        unsure = record.status == "uncertain" or isinstance(exc, UnknownOutcome)
        twice = record.status == "uncertain" and isinstance(exc, UnknownOutcome)
        retry = not exc.permanent and not twice and attempts <= len(RETRY_DELAYS)
        if retry:
            store.update_delivery(
                record.delivery_key,
                status="uncertain" if unsure else "pending",
                attempts=attempts,
                last_error=str(exc),
                next_attempt_at=now + timedelta(seconds=RETRY_DELAYS[attempts - 1]),
            )
            return AttemptResult(status="pending", error=str(exc))
        final: Literal["dead", "unconfirmed", "parked"] = (
            "dead" if exc.permanent else "unconfirmed" if unsure else "parked"
        )
        store.update_delivery(
            record.delivery_key, status=final, attempts=attempts, last_error=str(exc)
        )
        return AttemptResult(status=final, error=str(exc))
    store.update_delivery(record.delivery_key, status="sent", attempts=attempts, sent_at=now)
    return AttemptResult(status="sent")


__all__ = ["RenderError"]

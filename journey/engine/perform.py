"""Performing what the engine asked: render the message, build the pending delivery.

Writing the pending delivery (with its deterministic key) is the runner's;
attempting it is the delivery worker's (journey.daemon.delivery), in every
shell, with real channels or in-memory ones (journey.channels.memory).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from journey.channels.base import WebhookRequest
from journey.engine.sends import address_for
from journey.engine.state import DeliveryRecord, Enrollment
from journey.errors import RenderError
from journey.model import (
    Contact,
    Message,
    Plan,
    SendStep,
    SendVariant,
    WebhookStep,
    variant_context,
)
from journey.slotted import quick_init

HappeningKind = Literal["enter", "send", "skip", "exit", "convert", "fail", "webhook"]


@quick_init
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
    variant: str = ""  # a send's variant, when its step has variants
    detail: str = ""  # why a send was skipped, or the channels passed over


Listener = Callable[[Happening], None]


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


def render_message(
    renderer: Renders,
    plan: Plan,
    step: SendStep,
    enrollment: Enrollment,
    contact: Contact,
    key: str,
    now: datetime,
    unsubscribe_link: str,
    variant: SendVariant | None = None,
    events: Mapping[str, Any] | None = None,
    entry: Mapping[str, Any] | None = None,
) -> Message:
    """Render the step for the contact; raises RenderError.

    `unsubscribe_link` is the signed one-click URL, the same one the
    List-Unsubscribe header carries. A variant's `subject` replaces the
    template's, rendered with the same context. `events` is what the engine's
    scope reads as `events` at the step (EvalScope.event_data), `entry` what it
    reads as `entry` (EvalScope.entry_data; by default the enrollment's entry).
    """
    context = {
        "entry": entry if entry is not None else enrollment.entry.as_context(),
        "events": events or {},
        "journey": {"id": plan.journey_id, "name": plan.name, "kind": plan.kind},
        "unsubscribe_url": unsubscribe_link,
        "message_id": key,
        "variant": variant_context(variant),
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
    subject = rendered.subject
    if variant is not None and variant.subject and step.message == "email":
        subject = " ".join(
            renderer.render_string(variant.subject, {**context, "contact": contact, "now": now})
            .strip()
            .split()
        )
    return Message(
        delivery_key=key,
        channel=step.channel,
        message=step.message,
        to=address_for(contact, step.message) or "",
        locale=rendered.locale,
        subject=subject,
        preheader=rendered.preheader,
        text=rendered.text,
        html=rendered.html,
        title=rendered.title,
        journey_id=plan.journey_id,
        step_id=step.id,
        contact_id=contact.id,
        unsubscribe_url=unsubscribe_link,
        variant=variant.name if variant is not None else "",
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
    events: Mapping[str, Any] | None = None,
    entry: Mapping[str, Any] | None = None,
) -> WebhookRequest:
    context = {
        "contact": contact,
        "entry": entry if entry is not None else enrollment.entry.as_context(),
        "events": events or {},
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
    payload: dict[str, Any] = {
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
        **({"variant": item.variant} if item.variant else {}),
    }
    if item.tracked_links:  # what its tracked links lead to (journey.tracking.hits)
        payload["tracked_links"] = [dict(link) for link in item.tracked_links]
    return payload


__all__ = ["RenderError"]

"""The send-time gate: what a claimed delivery becomes just before a channel sees it.

Consent and address are checked again at send time (either may have changed
since the step ran; a missing contact was erased), the message is built with
today's address, and the text rules of every channel (journey.channels.checks)
refuse a hostile message alone, as a permanent failure of that delivery.
"""

from __future__ import annotations

from dataclasses import dataclass

from journey.channels.base import WebhookRequest
from journey.channels.checks import message_problem
from journey.daemon.delivery_links import UnsubscribeLinks
from journey.daemon.delivery_results import DeliveryResult
from journey.engine.sends import address_for
from journey.engine.state import DeliveryRecord
from journey.errors import DeliveryError
from journey.model import Contact, Message


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    """A delivery that passed the gate, with what its channel is given."""

    record: DeliveryRecord
    item: Message | WebhookRequest


def prepare(
    record: DeliveryRecord, contact: Contact | None, links: UnsubscribeLinks | None
) -> Prepared | DeliveryResult | DeliveryError:
    """Ready to send; suppressed (a result); or refused (the error its failure records)."""
    if record.kind == "webhook":
        return Prepared(record=record, item=WebhookRequest(**record.payload))
    if contact is None:
        return DeliveryResult(record=record, status="suppressed", detail="contact deleted")
    if record.category != "transactional" and not contact.has_consent(record.kind):
        return DeliveryResult(
            record=record, status="suppressed", detail=f"no {record.kind} consent at send time"
        )
    address = address_for(contact, record.kind)
    if not address:
        return DeliveryResult(
            record=record, status="suppressed", detail=f"no {record.kind} address"
        )
    # the stored payload itself when nothing in it changes (a Message copies no field)
    payload = record.payload
    if payload.get("to") != address:
        payload = {**payload, "to": address}
    if record.kind == "email" and links is not None and not payload.get("unsubscribe_url"):
        # stored before messages kept their link: the same link the body would have had
        link = links.url(record.contact_id, record.journey_id, record.channel)
        payload = {**payload, "unsubscribe_url": link}
    message = Message(**payload)
    problem = message_problem(message)
    if problem:
        return DeliveryError(problem, permanent=True)
    return Prepared(record=record, item=message)

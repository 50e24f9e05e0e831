"""A delivery attempt's result: the state a failure leaves, and what the store keeps of it.

Sent is recorded by `mark_sent`; every other result is written to its row by
`store_result`, and a dead one (final) becomes `journey.failed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from journey.channels.retry import RetryPolicy, next_retry_at
from journey.daemon.outcomes import outcome_event
from journey.engine.state import DeliveryRecord
from journey.errors import DeliveryError, DeliveryInterrupted, UnknownOutcome
from journey.model import Event
from journey.store.abc import StateStore

ResultStatus = Literal[
    "sent", "retry", "dead", "suppressed", "parked", "uncertain", "unconfirmed", "interrupted"
]
# Stored delivery states the worker claims; `uncertain` has had one send of unknown outcome.
UNCERTAIN = "uncertain"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryResult:
    record: DeliveryRecord
    status: ResultStatus
    detail: str = ""
    message_id: str = ""
    next_attempt_at: datetime | None = None


def failed_result(
    record: DeliveryRecord, error: DeliveryError, *, policy: RetryPolicy, now: datetime
) -> DeliveryResult:
    """The state a failed attempt leaves: retry, uncertain, unconfirmed, parked or dead."""
    if isinstance(error, DeliveryInterrupted):
        return DeliveryResult(record=record, status="interrupted", detail=str(error))
    attempt, key = record.attempts + 1, record.delivery_key
    unsure = record.status == UNCERTAIN
    if isinstance(error, UnknownOutcome):
        if unsure:
            detail = f"{error}; sent twice without an answer, not sent again"
            return DeliveryResult(record=record, status="unconfirmed", detail=detail)
        resend_at = next_retry_at(attempt, now, delivery_key=key, base=policy.base, cap=policy.cap)
        return DeliveryResult(
            record=record, status="uncertain", detail=str(error), next_attempt_at=resend_at
        )
    retry_at = policy.after_failure(attempt=attempt, now=now, error=error, delivery_key=key)
    if retry_at is not None:
        return DeliveryResult(
            record=record, status="retry", detail=str(error), next_attempt_at=retry_at
        )
    if error.permanent:
        return DeliveryResult(record=record, status="dead", detail=str(error))
    if unsure:
        detail = f"an earlier send's outcome is unknown; the resend ran out of retries: {error}"
        return DeliveryResult(record=record, status="unconfirmed", detail=detail)
    return DeliveryResult(record=record, status="parked", detail=str(error))


def store_result(store: StateStore, result: DeliveryResult, now: datetime) -> Event | None:
    """A result other than sent written to its delivery; the outcome event, if any."""
    record, status = result.record, result.status
    key = record  # the record, not its key: its lease is checked
    attempts = record.attempts + (0 if status in ("suppressed", "interrupted") else 1)
    if status == "sent":
        store.update_delivery(key, status="sent", attempts=attempts, sent_at=now, last_error=None)
        return outcome_event("journey.sent", record, now)
    if status == "interrupted":  # not an attempt: due again at once, after the restart
        store.update_delivery(key, next_attempt_at=now)
    elif status in ("retry", "uncertain"):
        stored = UNCERTAIN if status == "uncertain" or record.status == UNCERTAIN else "pending"
        store.update_delivery(
            key,
            status=stored,
            attempts=attempts,
            next_attempt_at=result.next_attempt_at,
            last_error=result.detail,
        )
    elif status in ("parked", "unconfirmed", "dead"):
        store.update_delivery(key, status=status, attempts=attempts, last_error=result.detail)
        if status == "dead":  # parked and unconfirmed are not final: no journey.failed
            return outcome_event("journey.failed", record, now, result.detail)
    else:
        store.update_delivery(key, status="suppressed", last_error=result.detail)
    return None

"""The delivery worker: pending deliveries -> channels, with retries and a dead-letter state.

The runner has already written each delivery under its deterministic key before
anything is sent; this worker claims due ones in batches, re-reads the contact
(consent or address may have changed since the step ran), sends, and records
the outcome. A crash between "the server accepted" and "the store recorded",
or an answer lost after the peer had the whole message (`uncertain`, resent
once, then `unconfirmed`), are the only ways to send twice, and the resend
carries the same Message-ID / Idempotency-Key, so the far side can recognise
it. Transient failures past the retry schedule are `parked`, not dead: the peer
was away, the message is fine, and `journey deliveries requeue` sends it again.
An outcome the store could not take (its server away: `StoreUnavailable`) is
kept in memory, the batch stops there, and `record_unrecorded` writes it once
the store is back: a message sent meanwhile is recorded, never sent again.
What each result leaves in the store is journey.daemon.delivery_results.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from journey.channels.base import ChannelImpl, WebhookRequest
from journey.channels.checks import message_problem
from journey.channels.retry import RetryPolicy
from journey.clock import Clock
from journey.daemon.delivery_links import UnsubscribeLinks
from journey.daemon.delivery_results import (
    DeliveryResult,
    failed_result,
    store_result,
)
from journey.daemon.inbox import enqueue_events
from journey.daemon.logs import StateLog
from journey.daemon.outcomes import outcome_event
from journey.daemon.ratelimit import TokenBucket
from journey.engine.handoff import WrittenDeliveries
from journey.engine.sends import address_for
from journey.engine.state import DeliveryRecord
from journey.errors import DeliveryError, JourneyError
from journey.model import Contact, Event, Message
from journey.store.abc import NOTHING_KNOWN, LeaseLost, StateStore, StoreUnavailable


@dataclass(frozen=True, slots=True, kw_only=True)
class _Prepared:
    record: DeliveryRecord
    item: Message | WebhookRequest


class DeliveryWorker:
    """Claims and sends due deliveries; all store access from one thread at a time."""

    def __init__(
        self,
        *,
        store: StateStore,
        channels: Mapping[str, ChannelImpl],
        clock: Clock,
        policy: RetryPolicy | None = None,
        links: UnsubscribeLinks | None = None,
        log: StateLog | None = None,
        worker: str = "daemon",
        batch_size: int = 500,
        lease: timedelta = timedelta(minutes=5),
        on_result: Callable[[DeliveryResult], None] | None = None,
        reacts_to: Callable[[Event], bool] | None = None,
        on_webhook_outcome: Callable[[DeliveryRecord, bool, str], None] | None = None,
        stopping: threading.Event | None = None,
        written: WrittenDeliveries | None = None,
    ) -> None:
        self.store = store
        self.channels: Mapping[str, ChannelImpl] = channels
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.links = links
        self.log = log
        self.worker = worker
        self.batch_size = batch_size
        self.lease = lease
        self.on_result = on_result
        # journey.sent/failed that some journey reacts to (the runner's `matters`, from
        # journey.engine.interest) go through the inbox to the runner; the rest are history.
        self.reacts_to = reacts_to
        # The runner records a webhook step's outcome (and applies on_failure: exit).
        self.on_webhook_outcome = on_webhook_outcome
        self.buckets: dict[str, TokenBucket] = {}
        # Set when the daemon stops: what is claimed but not yet sent is left for the restart.
        self.stopping = stopping or threading.Event()
        # time.monotonic() of the last claim or recorded outcome: /healthz reads it.
        self.progress_at = time.monotonic()
        # Many workers: does this process still hold the contact's shard? Asked before each send.
        self.holds_shard: Callable[[str], bool] | None = None
        # Outcomes known here that the store was unreachable to record (record_unrecorded).
        self.unrecorded: list[DeliveryResult] = []
        # What this shell's runner wrote, given to each claim so that it is not decoded again.
        self.written = written

    def run_due(self, limit: int | None = None) -> list[DeliveryResult]:
        """One batch: claim what is due now, send it, record each outcome."""
        self.progress_at = time.monotonic()
        now = self.clock.now()
        size = limit or self.batch_size
        written = self.written
        records = self.store.claim_due_deliveries(
            now,
            size,
            worker=self.worker,
            lease_until=now + self.lease,
            known=written.records if written is not None else NOTHING_KNOWN,
        )
        if written is not None and len(written):
            written.claimed(records, all_due=len(records) < size)
        if not records:
            return []
        contacts = self.store.get_contacts([r.contact_id for r in records])
        results: list[DeliveryResult] = []
        batches: dict[str, list[_Prepared]] = {}
        for record in records:
            try:
                prepared = self._prepare(record, contacts.get(record.contact_id))
            except Exception as exc:  # a malformed stored delivery fails alone
                reason = f"cannot prepare: {type(exc).__name__}: {exc}"
                prepared = self._failed(record, DeliveryError(reason, permanent=True))
            if isinstance(prepared, DeliveryResult):
                results.append(prepared)
            else:
                batches.setdefault(record.channel, []).append(prepared)
        self._record(results)
        for channel_name, items in batches.items():
            items = self._within_rate(channel_name, items, now)
            if items:
                results += self._send_channel(channel_name, items)
        return results

    def record_already_sent(self, keys: Sequence[str]) -> int:
        """Pending deliveries found already written (an outbox after a crash): now sent."""
        results = []
        for key in dict.fromkeys(keys):
            record = self.store.get_delivery(key)
            if record is not None and record.status == "pending":
                results.append(DeliveryResult(record=record, status="sent", message_id=key))
        self._record(results)
        return len(results)

    def record_unrecorded(self) -> int:
        """The outcomes the store missed while it was away, recorded now (nothing is resent).

        A message that went out is recorded `sent` by its key, lease or not: a worker that
        took the delivery over meanwhile and has not sent it yet then never does. Any other
        outcome whose lease was taken over is theirs: left out alone."""
        results, self.unrecorded = [_by_key(r) for r in self.unrecorded], []
        if not results:
            return 0
        try:
            self._record_now(results, self.clock.now())
        except LeaseLost:
            for nth, result in enumerate(results):  # which one: each alone
                try:
                    self._record([result])
                except StoreUnavailable:
                    self.unrecorded.extend(results[nth + 1 :])
                    raise
            return len(results)
        except StoreUnavailable:
            self.unrecorded = results + self.unrecorded
            raise
        self.progress_at = time.monotonic()
        for result in results:
            self._announce(result)
        return len(results)

    def set_rate_limits(self, limits: Mapping[str, str | None]) -> None:
        """Channel name -> `rate_limit` text; a bucket survives a reload that keeps its rate."""
        buckets: dict[str, TokenBucket] = {}
        for name, text in limits.items():
            if not text:
                continue
            old = self.buckets.get(name)
            if old is not None and old.text == text:
                buckets[name] = old
                continue
            try:
                buckets[name] = TokenBucket.from_text(text)
            except ValueError as exc:
                raise JourneyError(f"channel '{name}': {exc}") from None
        self.buckets = buckets

    def _within_rate(self, channel: str, items: list[_Prepared], now: datetime) -> list[_Prepared]:
        """What the channel's bucket lets go now; the rest wait, spaced at its rate."""
        bucket = self.buckets.get(channel)
        if bucket is None:
            return items
        allowed = bucket.take(self.store, channel, now, len(items))
        if allowed < len(items):
            try:
                with self.store.transaction():
                    for nth, prepared in enumerate(items[allowed:]):
                        self.store.update_delivery(
                            prepared.record, next_attempt_at=bucket.later(now, nth)
                        )
            except LeaseLost:
                return []  # the batch was taken over by another worker: theirs to send
        return items[:allowed]

    # ------------------------------------------------------------------ gates

    def _prepare(
        self, record: DeliveryRecord, contact: Contact | None
    ) -> _Prepared | DeliveryResult:
        """Consent and address are checked again at send time; a missing contact was erased."""
        if record.kind == "webhook":
            return _Prepared(record=record, item=WebhookRequest(**record.payload))
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
        payload = {**record.payload, "to": address}
        if record.kind == "email" and self.links is not None and not payload.get("unsubscribe_url"):
            # stored before messages kept their link: the same link the body would have had
            payload["unsubscribe_url"] = self.links.url(
                record.contact_id, record.journey_id, record.channel
            )
        # one Message, built with today's address (no copy through dataclasses.replace)
        message = Message(**payload)
        problem = message_problem(message)  # refused alone, before any channel sees it
        if problem:
            return self._failed(record, DeliveryError(problem, permanent=True))
        return _Prepared(record=record, item=message)

    # ------------------------------------------------------------------ sending

    def _send_channel(self, name: str, items: Sequence[_Prepared]) -> list[DeliveryResult]:
        channel = self.channels.get(name)
        if channel is None:
            error = DeliveryError(f"no channel named '{name}' in the workspace", permanent=True)
            results = [self._failed(p.record, error) for p in items]
            self._record(results)
            return results
        deliver_many = getattr(channel, "deliver_many", None)
        messages = [p for p in items if isinstance(p.item, Message)]
        if deliver_many is not None and len(messages) == len(items):
            ours: list[_Prepared] = []
            not_ours: list[_Prepared] = []
            for prepared in messages:
                (ours if self._still_ours(prepared) else not_ours).append(prepared)
            self._hand_back([p.record for p in not_ours])
            return self._send_batch(deliver_many, ours)
        results = []
        for prepared in items:
            if self.stopping.is_set():
                break  # still claimed; the stop releases the claims, the restart sends them
            if not self._still_ours(prepared):
                # the lease ran out here: another worker may hold it now; not sent here
                self._hand_back([prepared.record])
                continue
            # Record each outcome at once: a crash then repeats at most one send.
            result = self._send_one(channel, prepared)
            self._record([result])
            results.append(result)
        return results

    def _still_ours(self, prepared: _Prepared) -> bool:
        """Whether the claim's lease (and the contact's shard) still runs: a delivery past it
        is never sent from here."""
        lease = prepared.record.lease
        if self.holds_shard is not None and not self.holds_shard(prepared.record.contact_id):
            return False
        return lease is None or self.clock.now() < lease.expires_at

    def _hand_back(self, records: Sequence[DeliveryRecord]) -> None:
        """Claimed but not sent here: the claim is handed back (fenced by its epoch), so the
        delivery is due at once for whoever holds its shard, this worker too once its view of
        the lease is renewed; left claimed, it would wait out the whole claim lease."""
        for record in records:
            try:
                self.store.update_delivery(record, next_attempt_at=record.next_attempt_at)
            except LeaseLost:
                continue  # taken over: the new holder has it

    def _send_batch(
        self, deliver_many: Callable[[list[Message]], list[Any]], items: Sequence[_Prepared]
    ) -> list[DeliveryResult]:
        """Channels that write many messages at once (the outbox) get one call per batch."""
        if not items:
            return []
        try:
            answers = deliver_many([p.item for p in items])  # type: ignore[misc]
        except DeliveryError as exc:  # the write itself failed: none of them was sent
            results = [self._failed(p.record, exc) for p in items]
        else:  # a message the channel refused alone comes back as its DeliveryError
            results = [
                self._failed(p.record, answer)
                if isinstance(answer, DeliveryError)
                else DeliveryResult(record=p.record, status="sent", message_id=answer.message_id)
                for p, answer in zip(items, answers, strict=True)
            ]
        self._record(results)
        return results

    def _send_one(self, channel: ChannelImpl, prepared: _Prepared) -> DeliveryResult:
        try:
            if isinstance(prepared.item, WebhookRequest):
                receipt = channel.call_webhook(prepared.item)
            else:
                receipt = channel.deliver(prepared.item)
        except DeliveryError as exc:
            return self._failed(prepared.record, exc)
        except Exception as exc:  # a channel bug must not stop the worker
            error = DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False)
            return self._failed(prepared.record, error)
        return DeliveryResult(record=prepared.record, status="sent", message_id=receipt.message_id)

    def _failed(self, record: DeliveryRecord, error: DeliveryError) -> DeliveryResult:
        return failed_result(record, error, policy=self.policy, now=self.clock.now())

    # ------------------------------------------------------------------ recording

    def _record(self, results: Sequence[DeliveryResult]) -> None:
        if not results:
            return
        now = self.clock.now()
        try:
            self._record_now(results, now)
        except LeaseLost as exc:  # taken over: the new holder records the rest of these
            if self.log is not None:
                self.log.emit("lease_lost", error=str(exc))
            # a message that went out is a fact: recorded `sent` by its key, whoever holds
            # the delivery now, so the new holder does not send it a second time
            results = [_by_key(r) for r in results if r.status == "sent"]
            if not results:
                return
            try:
                self._record_now(results, now)
            except LeaseLost:
                return
            except StoreUnavailable:
                self.unrecorded.extend(results)
                raise
        except StoreUnavailable:  # kept for record_unrecorded; the batch stops here
            self.unrecorded.extend(results)
            raise
        self.progress_at = time.monotonic()
        for result in results:
            self._announce(result)

    def _record_now(self, results: Sequence[DeliveryResult], now: datetime) -> None:
        """One transaction; LeaseLost (nothing written) if another worker took one over."""
        with self.store.transaction():
            sent = [r for r in results if r.status == "sent"]
            keys = [(r.record, r.record.attempts + 1) for r in sent]
            self.store.mark_sent(keys, now)
            outcomes = [outcome_event("journey.sent", r.record, now) for r in sent]
            outcomes += [
                e for r in results if r.status != "sent" and (e := store_result(self.store, r, now))
            ]
            if self.on_webhook_outcome is not None:
                for r in results:
                    if r.record.kind == "webhook" and r.status in ("sent", "dead"):
                        self.on_webhook_outcome(r.record, r.status == "sent", r.detail)
            routed: list[Event] = []
            history: list[Event] = []
            for event in outcomes:
                reacts = self.reacts_to is not None and self.reacts_to(event)
                (routed if reacts else history).append(event)
            if routed:
                enqueue_events(self.store, routed, now)
            if history:
                self.store.add_events(history)

    def _announce(self, result: DeliveryResult) -> None:
        if self.on_result is not None:
            self.on_result(result)
        if self.log is None:
            return
        record = result.record
        self.log.emit(
            result.status,
            journey=record.journey_id,
            step=record.step_id,
            contact=record.contact_id,
            channel=record.channel,
            key=record.delivery_key,
            attempt=record.attempts + (0 if result.status == "interrupted" else 1),
            message_id=result.message_id or None,
            retry_at=result.next_attempt_at.isoformat() if result.next_attempt_at else None,
            error=result.detail or None,
        )


def _by_key(result: DeliveryResult) -> DeliveryResult:
    """A sent result without its claim's lease: recorded whoever holds the delivery now."""
    if result.status != "sent" or result.record.lease is None:
        return result
    return replace(result, record=replace(result.record, lease=None))

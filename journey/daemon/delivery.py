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
What each result leaves in the store is journey.daemon.delivery_results; the send-time
gate is journey.daemon.delivery_gate, the recording journey.daemon.delivery_recording.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from journey.channels.base import ChannelImpl, WebhookRequest
from journey.channels.retry import RetryPolicy
from journey.clock import Clock
from journey.daemon.delivery_gate import Prepared, prepare
from journey.daemon.delivery_links import UnsubscribeLinks
from journey.daemon.delivery_recording import RecordingMixin
from journey.daemon.delivery_results import DeliveryResult, failed_result
from journey.daemon.logs import StateLog
from journey.daemon.ratelimit import TokenBucket
from journey.engine.handoff import WrittenDeliveries
from journey.engine.state import DeliveryRecord
from journey.errors import DeliveryError, JourneyError
from journey.model import Event, Message
from journey.store.abc import NOTHING_KNOWN, LeaseLost, StateStore


class DeliveryWorker(RecordingMixin):
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
        batches: dict[str, list[Prepared]] = {}
        for record in records:
            try:
                prepared = prepare(record, contacts.get(record.contact_id), self.links)
            except Exception as exc:  # a malformed stored delivery fails alone
                reason = f"cannot prepare: {type(exc).__name__}: {exc}"
                prepared = DeliveryError(reason, permanent=True)
            if isinstance(prepared, Prepared):
                batches.setdefault(record.channel, []).append(prepared)
            elif isinstance(prepared, DeliveryError):  # refused alone, before any channel
                results.append(self._failed(record, prepared))
            else:
                results.append(prepared)
        self._record(results)
        for channel_name, items in batches.items():
            items = self._within_rate(channel_name, items, now)
            if items:
                results += self._send_channel(channel_name, items)
        return results

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

    def _within_rate(self, channel: str, items: list[Prepared], now: datetime) -> list[Prepared]:
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

    # ------------------------------------------------------------------ sending

    def _send_channel(self, name: str, items: Sequence[Prepared]) -> list[DeliveryResult]:
        channel = self.channels.get(name)
        if channel is None:
            error = DeliveryError(f"no channel named '{name}' in the workspace", permanent=True)
            results = [self._failed(p.record, error) for p in items]
            self._record(results)
            return results
        deliver_many = getattr(channel, "deliver_many", None)
        messages = [p for p in items if isinstance(p.item, Message)]
        if deliver_many is not None and len(messages) == len(items):
            ours: list[Prepared] = []
            not_ours: list[Prepared] = []
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

    def _still_ours(self, prepared: Prepared) -> bool:
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
        self, deliver_many: Callable[[list[Message]], list[Any]], items: Sequence[Prepared]
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

    def _send_one(self, channel: ChannelImpl, prepared: Prepared) -> DeliveryResult:
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

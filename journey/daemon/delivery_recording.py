"""The delivery worker's recording half: each attempt's outcome written to the store.

One transaction per batch of results: `sent` by `mark_sent` (fenced by each
claim's lease), every other result by `store_result`, and the outcome events
(`journey.sent`, a dead delivery's `journey.failed`) beside them: to the inbox
when some journey reacts to them, to history otherwise. A lease lost meanwhile
leaves the rest to its new holder, except that a message that went out is
recorded `sent` by its key whoever holds it now, so it is never sent again; an
outcome the store could not take (`StoreUnavailable`) is kept in `unrecorded`
until `record_unrecorded` writes it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from journey.clock import Clock
from journey.daemon.delivery_results import DeliveryResult, store_result
from journey.daemon.inbox import enqueue_events
from journey.daemon.logs import StateLog
from journey.daemon.outcomes import outcome_event
from journey.engine.state import DeliveryRecord
from journey.model import Event
from journey.store.abc import LeaseLost, StateStore, StoreUnavailable


class RecordingMixin:
    """Records outcomes for the DeliveryWorker, which provides the attributes below."""

    store: StateStore
    clock: Clock
    log: StateLog | None
    on_result: Callable[[DeliveryResult], None] | None
    reacts_to: Callable[[Event], bool] | None
    on_webhook_outcome: Callable[[DeliveryRecord, bool, str], None] | None
    progress_at: float
    unrecorded: list[DeliveryResult]

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
        self._announce(results)
        return len(results)

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
        self._announce(results)

    def _record_now(self, results: Sequence[DeliveryResult], now: datetime) -> None:
        """One transaction; LeaseLost (nothing written) if another worker took one over."""
        with self.store.transaction():
            sent = [r.record for r in results if r.status == "sent"]
            if sent:  # nothing to mark: no statement at all
                self.store.mark_sent([(record, record.attempts + 1) for record in sent], now)
            outcomes = [outcome_event("journey.sent", record, now) for record in sent]
            if len(sent) < len(results):
                outcomes += [
                    e
                    for r in results
                    if r.status != "sent" and (e := store_result(self.store, r, now))
                ]
            if self.on_webhook_outcome is not None:
                for r in results:
                    if r.record.kind == "webhook" and r.status in ("sent", "dead"):
                        self.on_webhook_outcome(r.record, r.status == "sent", r.detail)
            routed: list[Event] = []
            history: list[Event] = []
            reacts_to = self.reacts_to
            for event in outcomes:
                (routed if reacts_to is not None and reacts_to(event) else history).append(event)
            if routed:
                enqueue_events(self.store, routed, now)
            if history:
                self.store.add_events(history)

    def _announce(self, results: Sequence[DeliveryResult]) -> None:
        """Each recorded result to `on_result` and to the state log, a line each."""
        on_result, log = self.on_result, self.log
        if log is not None and log.enabled:
            for result in results:
                if on_result is not None:
                    on_result(result)
                _log_line(log, result)
            return
        if on_result is not None:
            for result in results:
                on_result(result)
        if log is not None:  # only counted: no line's fields are made
            for status, times in Counter(r.status for r in results).items():
                log.count(status, times)


def _log_line(log: StateLog, result: DeliveryResult) -> None:
    record = result.record
    log.emit(
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

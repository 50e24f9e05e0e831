"""The records the engine and every store share: enrollments, history, deliveries, leases.

Plain frozen data, so the pure engine can return new versions and a store can
persist them without knowing what they mean. This module depends on neither:
the engine and the stores both depend on it (and on `journey.instants`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from journey.errors import StoreError
from journey.slotted import copier, quick_init

EnrollmentStatus = Literal["active", "exited"]
# "enter": run the step when due; "wait": the step's timer (wait, wait_for, deferral) runs.
Phase = Literal["enter", "wait"]
StepOutcome = Literal[
    "sent",
    "suppressed",
    "capped",
    "deferred",
    "failed",
    "waiting",
    "done",
    "matched",
    "timeout",
]
DeliveryStatus = Literal[
    "pending",
    "sent",
    "failed",
    "dead",
    "suppressed",
    "capped",
    "parked",  # transient failures outlasted the retry schedule; `journey deliveries requeue`
    "uncertain",  # one send's outcome is unknown; resent once under the same Message-ID
    "unconfirmed",  # two sends without an answer; not sent again
]


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """What enrolled the contact; templates and expressions see it as `entry`."""

    name: str
    timestamp: datetime
    properties: dict[str, Any] = field(default_factory=dict)

    def as_context(self) -> dict[str, Any]:
        return {"name": self.name, "timestamp": self.timestamp, "properties": self.properties}


# ------------------------------------------------------------------- leases


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Lease:
    """A claim on one row of due work: who holds it, its fencing number, until when.

    `claim_due_*` hands records out with their lease; the epoch grows with every
    claim of the row, so a write carrying an older epoch comes from a worker whose
    lease was taken over, and the store refuses it (`LeaseLost`).
    """

    worker: str
    epoch: int
    expires_at: datetime


class LeaseLost(StoreError):
    """A write to claimed work whose lease another worker has taken over; nothing was written."""

    def __init__(self, what: str, lease: Lease) -> None:
        super().__init__(
            f"{what}: the lease of worker '{lease.worker}' (epoch {lease.epoch}) was taken over"
        )
        self.what = what
        self.lease = lease


class StoreUnavailable(StoreError):
    """The store cannot be reached now (its server restarts, the connection broke): the call
    did nothing, or for a commit whose answer was lost, nothing known. The same work may be
    tried again later; nothing about the records themselves was wrong."""


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Enrollment:
    """One contact's pass through one journey (one plan version)."""

    id: str
    journey_id: str
    contact_id: str
    plan_hash: str
    entered_at: datetime
    entry: Entry
    step_id: str
    step_entered_at: datetime
    due_at: datetime | None
    phase: Phase = "enter"
    status: EnrollmentStatus = "active"
    split_arm: str | None = None  # the arm of the last split passed (see `arms` for all)
    arms: dict[str, str] = field(default_factory=dict)  # split step id -> arm name
    exit_reason: str | None = None
    exited_at: datetime | None = None
    converted_at: datetime | None = None
    visits: dict[str, int] = field(default_factory=dict)  # step id -> times entered
    defer_since: datetime | None = None  # when the current send was first deferred
    # Events a `wait_for` with `as: NAME` matched, by NAME; read as `events.NAME`.
    events: dict[str, Entry] = field(default_factory=dict)
    # Set by `claim_due_enrollments`; travels with new versions (dataclasses.replace)
    # so that saving one checks the claim. Not part of the enrollment's value.
    lease: Lease | None = field(default=None, compare=False)

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def occurrence(self, step_id: str) -> int:
        return self.visits.get(step_id, 0)


# `dataclasses.replace(enrollment, **changes)` at about half of its cost: the engine
# copies an enrollment several times per step, and a copy needs no `__init__` (every
# field already holds a valid value), so it sets the slots directly (journey.slotted).
evolve = copier(Enrollment, "evolve")


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class StepRecord:
    """One line of step history: what a step did to a contact, and when."""

    enrollment_id: str
    journey_id: str
    contact_id: str
    step_id: str
    outcome: StepOutcome
    at: datetime
    detail: str = ""


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRecord:
    """A message (or webhook call) written before it is attempted, keyed for idempotency."""

    delivery_key: str
    enrollment_id: str
    journey_id: str
    step_id: str
    contact_id: str
    channel: str
    kind: str  # email | sms | push | webhook
    category: str  # marketing | transactional
    payload: dict[str, Any]
    status: DeliveryStatus = "pending"
    attempts: int = 0
    created_at: datetime
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    lease: Lease | None = field(default=None, compare=False)  # set by claim_due_deliveries


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class TriggerState:
    """Per journey and contact: when a time trigger fires next, and the segment's last value."""

    journey_id: str
    contact_id: str
    next_fire_at: datetime | None = None
    last_fired_at: datetime | None = None
    segment_match: bool | None = None
    lease: Lease | None = field(default=None, compare=False)  # set by claim_due_trigger_states


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class JourneyState:
    """Per journey: the trigger it was armed with, and its clock (schedule, segment re-check)."""

    journey_id: str
    trigger: str | None = None  # the trigger kind the journey was activated with
    activated_at: datetime | None = None
    next_fire_at: datetime | None = None
    last_fired_at: datetime | None = None
    # The trigger's definition it was armed with (journey.compiler.serialize.trigger_hash);
    # None in a store written before it was kept.
    trigger_hash: str | None = None


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ShardFire:
    """One journey clock's fire (a schedule tick, a segment's pass over everyone) on one shard.

    Pending until every contact of the shard has been looked at: `after` is the
    last contact id done (contacts go in id order), `done_at` set when finished.
    `lease`: the shard's lease as `pending_shard_fires` found it (epoch = the
    shard's epoch); a write under it is refused once the shard changed hands.
    """

    journey_id: str
    fire_at: datetime
    shard: int
    kind: str  # the trigger kind: schedule | segment
    after: str | None = None
    done_at: datetime | None = None
    lease: Lease | None = field(default=None, compare=False)


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class InboxItem:
    """One acknowledged item waiting in the inbox; `lease` is set by `claim_inbox`."""

    seq: int
    kind: str  # event | contact | delete_contact
    body: dict[str, Any]
    received_at: datetime
    lease: Lease | None = field(default=None, compare=False)


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class RateTake:
    """What a channel's shared token bucket allowed: how many go now, tokens left after."""

    allowed: int
    tokens_left: float


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class UnsubscribeKey:
    """One key that signs (the newest) or signed unsubscribe links; `retired_at` once rotated."""

    key: bytes = field(repr=False)
    created_at: datetime
    retired_at: datetime | None = None


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SplitDecision:
    """A split's auto-winner decision, made once: the winning arm (None: no winner, the split
    goes on as declared) and the figures it was made on (plain JSON data)."""

    journey_id: str
    step_id: str
    decided_at: datetime
    winner: str | None
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class StepCounts:
    entered: int = 0
    waiting: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # sent, suppressed, capped, failed…
    exited: dict[str, int] = field(default_factory=dict)  # left the journey here, by reason
    # a send's records by why: "sent: via email (push: no push consent)" -> how many
    details: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class JourneyCounts:
    """What `journey status` shows for one journey."""

    journey_id: str
    entered: int = 0
    active: int = 0
    converted: int = 0
    exited: dict[str, int] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)  # by delivery status
    steps: dict[str, StepCounts] = field(default_factory=dict)


# Deliveries that are history: nothing will send, retry or requeue them again. Every
# other status (pending, uncertain, parked, dead, unconfirmed) is live work an operator
# or a worker may still act on, and retention never removes it.
FINISHED_DELIVERY_STATUSES: tuple[str, ...] = ("sent", "suppressed", "capped", "failed")


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryExpired:
    """What one `expire_history` removed: rows per history table, whole partitions dropped."""

    events: int = 0
    step_records: int = 0
    deliveries: int = 0
    partitions_dropped: int = 0

    @property
    def total(self) -> int:
        return self.events + self.step_records + self.deliveries


def delivery_key(enrollment_id: str, step_id: str, occurrence: int) -> str:
    """Deterministic: the same visit of the same step always gets the same key."""
    raw = f"{enrollment_id}\x1f{step_id}\x1f{occurrence}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def enrollment_id(journey_id: str, contact_id: str, number: int) -> str:
    """Readable and deterministic: the n-th enrollment of a contact in a journey."""
    return f"{journey_id}:{contact_id}:{number}"

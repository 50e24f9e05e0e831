"""The StateStore contract: what the runner and the daemon need from persistence.

Narrow on purpose: every method is one query or one write that another backend
(PostgreSQL) implements in its own module; the records it takes and returns
live in `journey.records`, which neither the engine nor a store owns.

Many workers may share one store. Due work is handed out by claims
(`claim_due_enrollments`, `claim_due_deliveries`, `claim_due_trigger_states`,
`claim_inbox`, `claim_journey_fire`; `pending_shard_fires` by shard lease): each
claimed record carries its `Lease` (worker, fencing epoch, expiry), the epoch
grows with every claim of a row, and
every write of a record that carries a lease checks it — a worker whose lease
expired and was taken over gets `LeaseLost` and nothing is written. A write of
a record without a lease (read, not claimed) is not checked. Read-ahead and
other caches of stored rows live for one transaction at most.

A store whose server cannot be reached at the moment (PostgreSQL restarting, a
broken connection) raises `StoreUnavailable` from the call that needed it and
reconnects by itself; the caller tries the work again later.

Two parts of the contract have their own modules, mixed into StateStore:
journey clock fires per shard (`abc_fires`) and what reports and experiments
read (`abc_results`).
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import MappingProxyType
from typing import Any

from journey.model import Contact, Event, Plan
from journey.records import (
    DeliveryRecord,
    Enrollment,
    InboxItem,
    JourneyCounts,
    JourneyState,
    Lease,
    LeaseLost,
    RateTake,
    ShardFire,
    StepCounts,
    StepRecord,
    StoreUnavailable,
    TriggerState,
    UnsubscribeKey,
)
from journey.store.abc_events import EventHistory
from journey.store.abc_fires import ShardFires
from journey.store.abc_results import ResultReads

# `claim_due_deliveries` without records the caller already holds.
NOTHING_KNOWN: Mapping[str, DeliveryRecord] = MappingProxyType({})

# In store_keys: the store's random id (journey.channels.mime.message_id_for hashes it in).
DATABASE_ID_KEY = "database-id"

__all__ = [
    "InboxItem",
    "JourneyCounts",
    "JourneyState",
    "Lease",
    "LeaseLost",
    "RateTake",
    "ShardFire",
    "StateStore",
    "StepCounts",
    "StoreUnavailable",
    "UnsubscribeKey",
]


class StateStore(EventHistory, ShardFires, ResultReads, ABC):
    # ------------------------------------------------------------ housekeeping
    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside commit together (nested calls join the outer one)."""

    @abstractmethod
    def savepoint(self) -> AbstractContextManager[None]:
        """Inside a transaction: writes undone alone if the block raises; the rest stays."""

    @abstractmethod
    def close(self) -> None: ...

    def read_ahead(self, contact_ids: Sequence[str]) -> None:
        """A hint inside a transaction: these contacts' rows are about to be read, one by one.

        A store may read them now in bulk; answers must stay exactly what the
        one-by-one reads would give, and what it read is forgotten when the
        transaction ends (commit or rollback). The default ignores the hint.
        """
        return None

    @property
    @abstractmethod
    def schema_version(self) -> int: ...

    # ---------------------------------------------------------------- contacts
    @abstractmethod
    def get_contact(self, contact_id: str) -> Contact | None: ...

    @abstractmethod
    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]: ...

    @abstractmethod
    def put_contact(self, contact: Contact) -> None:
        """Insert or replace the whole contact (merging is the caller's job)."""

    def put_contacts(self, contacts: Sequence[Contact]) -> None:
        """`put_contact` for many at once, in order (of equal ids the last one stays);
        an erased contact among them raises ContactErased before any is written."""
        for contact in contacts:
            self.put_contact(contact)

    @abstractmethod
    def delete_contact(self, contact_id: str) -> bool:
        """Remove every row about the contact; True if it existed."""

    @abstractmethod
    def iter_contacts(self, batch_size: int = 1000) -> Iterator[list[Contact]]: ...

    @abstractmethod
    def count_contacts(self) -> int: ...

    # ------------------------------------------------------------------- plans
    @abstractmethod
    def save_plan(self, plan: Plan) -> None: ...

    @abstractmethod
    def get_plan(self, plan_hash: str) -> Plan | None: ...

    # ------------------------------------------------------------- enrollments
    @abstractmethod
    def insert_enrollment(self, enrollment: Enrollment) -> bool:
        """False when the contact already has an active enrollment in that journey."""

    @abstractmethod
    def save_enrollment(self, enrollment: Enrollment) -> None:
        """Persist a new version and release any claim on it.

        A version carrying a `lease` is written only if no other worker claimed
        the enrollment since (`LeaseLost` otherwise, nothing written).
        """

    def set_enrollment_plan(self, enrollment: Enrollment) -> None:
        """Move an enrollment to another plan version (hot reload with `on_change: migrate`).

        Persists `plan_hash` together with everything `save_enrollment` writes.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot migrate enrollments")

    @abstractmethod
    def get_enrollment(self, enrollment_id: str) -> Enrollment | None: ...

    @abstractmethod
    def active_enrollments(self, contact_id: str) -> list[Enrollment]: ...

    @abstractmethod
    def latest_enrollment(self, journey_id: str, contact_id: str) -> Enrollment | None: ...

    @abstractmethod
    def count_enrollments(self, journey_id: str, contact_id: str) -> int: ...

    @abstractmethod
    def unconverted_enrollments(self, journey_id: str, contact_id: str) -> list[Enrollment]: ...

    @abstractmethod
    def active_enrollments_in(self, journey_id: str, limit: int) -> list[Enrollment]: ...

    @abstractmethod
    def claim_due_enrollments(
        self,
        now: datetime,
        limit: int,
        *,
        worker: str,
        lease_until: datetime,
        skip_journeys: Iterable[str] = (),
    ) -> list[Enrollment]:
        """Active enrollments due at or before `now`, not claimed by a live lease.

        Each comes back with its `lease` (this worker, the row's new epoch, `lease_until`).
        """

    @abstractmethod
    def add_step_records(self, records: Sequence[StepRecord]) -> None: ...

    @abstractmethod
    def step_records(self, enrollment_id: str) -> list[StepRecord]: ...

    # -------------------------------------------------------------- deliveries
    @abstractmethod
    def add_delivery(self, delivery: DeliveryRecord) -> bool:
        """Write before sending; False if the key exists (a retried step, not a new send)."""

    @abstractmethod
    def get_delivery(self, key: str) -> DeliveryRecord | None: ...

    @abstractmethod
    def update_delivery(self, delivery: DeliveryRecord | str, **changes: Any) -> None:
        """Change status, attempts, next_attempt_at, last_error or sent_at; release the claim.

        Given the record (not its key) with a `lease`, the write checks it:
        `LeaseLost` if another worker claimed the delivery since, nothing written.
        """

    def mark_sent(self, sent: Sequence[tuple[DeliveryRecord | str, int]], at: datetime) -> None:
        """Many (delivery, attempts) recorded as sent at once; leases checked as in update_delivery.

        All or nothing: when one lease was lost, none is marked.
        """
        with self.transaction():
            for delivery, attempts in sent:
                self.update_delivery(
                    delivery, status="sent", attempts=attempts, sent_at=at, last_error=None
                )

    @abstractmethod
    def claim_due_deliveries(
        self,
        now: datetime,
        limit: int,
        *,
        worker: str,
        lease_until: datetime,
        known: Mapping[str, DeliveryRecord] = NOTHING_KNOWN,
    ) -> list[DeliveryRecord]:
        """Pending deliveries whose next attempt is due, not claimed by a live lease (with it).

        `known`: records the caller wrote itself (`add_delivery`), by key. The claim is
        the same with or without them; a claimed row whose key is known and whose state
        (status, attempts, created_at, next_attempt_at, last_error, sent_at) is still the
        known record's comes back as that record with the claim's lease, undecoded.
        """

    @abstractmethod
    def release_claims(self, worker: str) -> int:
        """Hand back `worker`'s leases (every kind of claim); the count of rows released.

        Other workers' leases stay. A stopping worker releases what it did not
        finish; a restarted one releases what its previous run left, so that work
        does not wait for the leases to expire.
        """

    @abstractmethod
    def deliveries_in_doubt(
        self, due_by: datetime, shards: Sequence[int] | None = None
    ) -> dict[str, datetime]:
        """Delivery key -> when its attempt fell due, for every `pending` or `uncertain`
        delivery due by `due_by` that a worker has claimed: a channel may hold it already
        (written, then the worker died before recording it). `shards`: of those only."""

    @abstractmethod
    def marketing_send_times(self, contact_id: str, since: datetime) -> list[datetime]:
        """When marketing messages (any journey) went to the contact after `since`, oldest first."""

    def marketing_send_times_of(
        self, contact_ids: Sequence[str], since: datetime
    ) -> dict[str, list[datetime]]:
        """`marketing_send_times` for many contacts at once: contact id -> times, oldest
        first, for those with at least one (a contact left out has none)."""
        found = {c: self.marketing_send_times(c, since) for c in dict.fromkeys(contact_ids)}
        return {contact_id: times for contact_id, times in found.items() if times}

    # ------------------------------------------------------------------- inbox
    # What the daemon acknowledged (HTTP ingest) but has not processed yet; the
    # daemon drains it in order and removes items in the transaction that
    # processed them, so an acknowledged event survives a crash.
    def enqueue(self, items: Sequence[tuple[str, dict[str, Any]]], received_at: datetime) -> None:
        """Append (kind, body) items durably (committed when this returns)."""
        raise NotImplementedError(f"{type(self).__name__} has no inbox")

    def known_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        """Which of these ids are already stored or waiting in the inbox (ingest answers)."""
        raise NotImplementedError(f"{type(self).__name__} has no inbox")

    def events_by_id(self, event_ids: Sequence[str]) -> dict[str, Event]:
        """Each id's event as stored, else as waiting in the inbox; absent ids are left out.

        Called inside a write transaction, the answer cannot change before the
        caller enqueues: that is what makes concurrent duplicates truthful.
        """
        raise NotImplementedError(f"{type(self).__name__} has no inbox")

    def claim_inbox(
        self, now: datetime, limit: int, *, worker: str, lease_until: datetime
    ) -> list[InboxItem]:
        """The oldest items not claimed by a live lease, in arrival order, each with its lease."""
        raise NotImplementedError(f"{type(self).__name__} has no inbox")

    def remove_from_inbox(self, items: Sequence[InboxItem]) -> None:
        """Processed: gone. All or nothing: `LeaseLost` if one item's lease was taken over.

        Items already gone (an erasure removed them) are skipped.
        """
        raise NotImplementedError(f"{type(self).__name__} has no inbox")

    def release_inbox(self, items: Sequence[InboxItem]) -> None:
        """Hand claimed items back unprocessed (their batch failed): due again at once.

        Only items still held under their lease are released; others are left alone.
        """
        raise NotImplementedError(f"{type(self).__name__} has no inbox")

    def inbox_size(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} has no inbox")

    # ----------------------------------------------------------- trigger state
    @abstractmethod
    def get_trigger_state(self, journey_id: str, contact_id: str) -> TriggerState | None: ...

    @abstractmethod
    def get_trigger_states(
        self, journey_id: str, contact_ids: Sequence[str]
    ) -> dict[str, TriggerState]:
        """One journey's states for many contacts at once, keyed by contact id."""

    @abstractmethod
    def put_trigger_states(self, states: Sequence[TriggerState]) -> None:
        """Insert or replace; release claims. A state with a `lease` is checked (LeaseLost)."""

    @abstractmethod
    def claim_due_trigger_states(
        self,
        now: datetime,
        limit: int,
        journey_ids: Iterable[str],
        *,
        worker: str,
        lease_until: datetime,
    ) -> list[TriggerState]:
        """These journeys' per-contact triggers due at `now`, not claimed by a live lease."""

    @abstractmethod
    def get_journey_state(self, journey_id: str) -> JourneyState | None: ...

    @abstractmethod
    def put_journey_state(self, state: JourneyState) -> None:
        """Insert or replace the journey's state."""

    @abstractmethod
    def claim_journey_fire(
        self,
        journey_id: str,
        due: datetime,
        *,
        next_fire_at: datetime | None,
        last_fired_at: datetime | None,
    ) -> bool:
        """Take the journey clock's fire at `due` (schedule tick, segment re-check): one wins.

        Moves the clock to `next_fire_at` (and `last_fired_at`) only if it still
        reads `due`; True for the one caller that moved it.
        """

    # ------------------------------------------------------------ shared state
    @abstractmethod
    def take_rate_tokens(
        self, channel: str, *, capacity: float, per_second: float, now: datetime, wanted: int
    ) -> RateTake:
        """Spend up to `wanted` tokens of the channel's bucket, shared by every worker.

        The bucket (full at first) refills at `per_second` up to `capacity`; read,
        refilled and spent in one transaction, so two workers never spend one token.
        """

    @abstractmethod
    def store_secret(self, purpose: str, make: Callable[[], str]) -> str:
        """The store's secret for `purpose`, made with `make` and kept by the first caller."""

    def database_id(self) -> str:
        """16 hex digits, random, fixed by the first caller: Message-IDs differ across stores."""
        return self.store_secret(DATABASE_ID_KEY, lambda: secrets.token_hex(8))

    @abstractmethod
    def unsubscribe_keys(self) -> list[UnsubscribeKey]:
        """The keys of unsubscribe links, newest first: the first signs (one is made with
        the store); which others still verify is journey.daemon.secret's answer."""

    @abstractmethod
    def rotate_unsubscribe_key(self, key: bytes, now: datetime) -> None:
        """`key` signs from now on; every key not yet retired is retired at `now`."""

"""The SQLite StateStore: one file, WAL mode, versioned schema, batched claims.

Hot paths use prepared sqlite3 statements; sqlite-utils handles opening,
WAL and introspection. A PostgreSQL store would be a sibling module.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from journey.engine.state import DeliveryRecord, Enrollment, StepRecord, TriggerState
from journey.errors import StoreError
from journey.model import Contact, Event, Plan
from journey.store import codec
from journey.store.abc import InboxItem, JourneyCounts, StateStore
from journey.store.migrations import LATEST_VERSION, MIGRATIONS
from journey.store.readahead import ReadAhead
from journey.store.reports import journey_counts

_CONTACT_TABLES = (
    "events",
    "enrollments",
    "step_history",
    "deliveries",
    "trigger_state",
)


class SQLiteStore(StateStore):
    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 10_000) -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self._db = sqlite_utils.Database(self._conn)
            if self.path != ":memory:":
                self._db.enable_wal()
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = OFF")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the state store {self.path}: {exc}") from exc
        self._depth = 0
        self._lock = threading.RLock()
        self._plans: dict[str, Plan] = {}
        self._ahead: ReadAhead | None = None
        # step-history rows of the open transaction, written with one executemany at commit
        self._pending_steps: list[tuple[Any, ...]] = []

    # ------------------------------------------------------------ housekeeping
    def _migrate(self) -> None:
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
            "description TEXT NOT NULL)"
        )
        current = self.schema_version
        if current > LATEST_VERSION:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this journey "
                f"({LATEST_VERSION}); upgrade journey"
            )
        for version, description, statements in MIGRATIONS:
            if version <= current:
                continue
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    self._conn.execute(statement)
                self._conn.execute(
                    "INSERT INTO schema_version (version, description) VALUES (?, ?)",
                    (version, description),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def table_names(self) -> list[str]:
        return list(self._db.table_names())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
                if self._depth == 1:
                    self._flush_steps()
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._forget_transaction()
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._forget_transaction()
                self._conn.execute("COMMIT")

    def _forget_transaction(self) -> None:
        """Read-ahead and buffered rows belong to one transaction."""
        self._ahead = None
        self._pending_steps.clear()

    def read_ahead(self, contact_ids: Sequence[str]) -> None:
        """Read the batch's contacts and their enrollments now; only inside a transaction."""
        if self._depth == 0:
            return
        ids = list(dict.fromkeys(contact_ids))
        self._ahead = None
        contacts = self.get_contacts(ids)
        ahead = ReadAhead(contacts={cid: contacts.get(cid) for cid in ids})
        for cid in ids:
            ahead.enrollments[cid] = []
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            sql = (
                f"SELECT rowid, {codec.ENROLLMENT_COLUMNS} FROM enrollments"
                f" WHERE contact_id IN ({marks}) ORDER BY rowid"
            )
            for row in self._all(sql, chunk):
                enrollment = codec.enrollment_from_row(row[1:])
                ahead.enrollments[enrollment.contact_id].append((row[0], enrollment))
        self._ahead = ahead

    def _forget(self, contact_id: str) -> None:
        if self._ahead is not None:
            self._ahead.forget(contact_id)

    def close(self) -> None:
        self._conn.close()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._conn.execute(sql, params).fetchall()

    # ---------------------------------------------------------------- contacts
    def get_contact(self, contact_id: str) -> Contact | None:
        if self._ahead is not None and contact_id in self._ahead.contacts:
            return self._ahead.contacts[contact_id]
        row = self._one(f"SELECT {codec.CONTACT_COLUMNS} FROM contacts WHERE id = ?", (contact_id,))
        return codec.contact_from_row(row) if row else None

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]:
        found: dict[str, Contact] = {}
        for chunk in _chunks(list(dict.fromkeys(contact_ids))):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {codec.CONTACT_COLUMNS} FROM contacts WHERE id IN ({marks})"
            for row in self._all(sql, chunk):
                found[row[0]] = codec.contact_from_row(row)
        return found

    def put_contact(self, contact: Contact) -> None:
        self._forget(contact.id)
        self._conn.execute(
            f"INSERT OR REPLACE INTO contacts ({codec.CONTACT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
            codec.contact_row(contact),
        )

    def delete_contact(self, contact_id: str) -> bool:
        with self.transaction():
            self._forget(contact_id)
            self._flush_steps()
            existed = self._one("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)) is not None
            self._conn.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
            for table in _CONTACT_TABLES:
                self._conn.execute(f"DELETE FROM {table} WHERE contact_id = ?", (contact_id,))
        return existed

    def iter_contacts(self, batch_size: int = 1000) -> Iterator[list[Contact]]:
        last = ""
        while True:
            rows = self._all(
                f"SELECT {codec.CONTACT_COLUMNS} FROM contacts WHERE id > ? ORDER BY id LIMIT ?",
                (last, batch_size),
            )
            if not rows:
                return
            last = rows[-1][0]
            yield [codec.contact_from_row(row) for row in rows]

    def count_contacts(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM contacts")[0])

    # ------------------------------------------------------------------ events
    def add_event(self, event: Event) -> bool:
        cursor = self._conn.execute(
            "INSERT OR IGNORE INTO events (id, contact_id, name, timestamp, received_at,"
            " properties) VALUES (?,?,?,?,?,?)",
            codec.event_row(event),
        )
        return cursor.rowcount == 1

    def add_events(self, events: Sequence[Event]) -> None:
        self._conn.executemany(
            "INSERT OR IGNORE INTO events (id, contact_id, name, timestamp, received_at,"
            " properties) VALUES (?,?,?,?,?,?)",
            [codec.event_row(event) for event in events],
        )

    def count_events(
        self, contact_id: str, name: str, since: datetime | None, until: datetime
    ) -> int:
        row = self._one(
            "SELECT COUNT(*) FROM events WHERE contact_id = ? AND name = ?"
            " AND timestamp >= ? AND timestamp <= ?",
            (contact_id, name, codec.ts(since) if since else "", codec.ts(until)),
        )
        return int(row[0])

    def last_event_at(self, contact_id: str, name: str, until: datetime) -> datetime | None:
        row = self._one(
            "SELECT MAX(timestamp) FROM events WHERE contact_id = ? AND name = ?"
            " AND timestamp <= ?",
            (contact_id, name, codec.ts(until)),
        )
        return codec.from_ts(row[0]) if row else None

    def delete_events_before(self, cutoff: datetime) -> int:
        cursor = self._conn.execute("DELETE FROM events WHERE timestamp < ?", (codec.ts(cutoff),))
        return cursor.rowcount

    # ------------------------------------------------------------------- plans
    def save_plan(self, plan: Plan) -> None:
        self._plans[plan.plan_hash] = plan
        from journey.compiler import plan_to_dict

        self._conn.execute(
            "INSERT OR IGNORE INTO plans (hash, journey_id, plan) VALUES (?, ?, ?)",
            (plan.plan_hash, plan.journey_id, codec.dumps(plan_to_dict(plan))),
        )

    def get_plan(self, plan_hash: str) -> Plan | None:
        if plan_hash in self._plans:
            return self._plans[plan_hash]
        row = self._one("SELECT plan FROM plans WHERE hash = ?", (plan_hash,))
        if row is None:
            return None
        from journey.compiler import plan_from_dict

        plan = plan_from_dict(json.loads(row[0]))
        self._plans[plan_hash] = plan
        return plan

    # ------------------------------------------------------------- enrollments
    def insert_enrollment(self, enrollment: Enrollment) -> bool:
        self._forget(enrollment.contact_id)
        marks = ",".join("?" * 15)
        try:
            self._conn.execute(
                f"INSERT INTO enrollments ({codec.ENROLLMENT_COLUMNS}) VALUES ({marks})",
                codec.enrollment_row(enrollment),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def save_enrollment(self, enrollment: Enrollment) -> None:
        self._forget(enrollment.contact_id)
        self._conn.execute(
            "UPDATE enrollments SET status=?, step_id=?, step_entered_at=?, due_at=?,"
            " split_arm=?, exit_reason=?, exited_at=?, converted_at=?, state=?,"
            " claimed_by=NULL, claim_expires_at=NULL WHERE id=?",
            codec.enrollment_update_row(enrollment),
        )

    def set_enrollment_plan(self, enrollment: Enrollment) -> None:
        with self.transaction():
            self._conn.execute(
                "UPDATE enrollments SET plan_hash = ? WHERE id = ?",
                (enrollment.plan_hash, enrollment.id),
            )
            self.save_enrollment(enrollment)

    def _enrollments(self, where: str, params: Sequence[Any]) -> list[Enrollment]:
        sql = f"SELECT {codec.ENROLLMENT_COLUMNS} FROM enrollments WHERE {where}"
        return [codec.enrollment_from_row(row) for row in self._all(sql, params)]

    def get_enrollment(self, enrollment_id: str) -> Enrollment | None:
        found = self._enrollments("id = ?", (enrollment_id,))
        return found[0] if found else None

    def active_enrollments(self, contact_id: str) -> list[Enrollment]:
        if self._ahead is not None and self._ahead.knows(contact_id):
            return self._ahead.active(contact_id)
        # the order of the enrollments_contact index, spelled out for the read-ahead
        return self._enrollments(
            "contact_id = ? AND status = 'active' ORDER BY journey_id, rowid", (contact_id,)
        )

    def latest_enrollment(self, journey_id: str, contact_id: str) -> Enrollment | None:
        if self._ahead is not None and self._ahead.knows(contact_id):
            return self._ahead.latest(journey_id, contact_id)
        found = self._enrollments(
            "contact_id = ? AND journey_id = ? ORDER BY entered_at DESC, rowid DESC LIMIT 1",
            (contact_id, journey_id),
        )
        return found[0] if found else None

    def count_enrollments(self, journey_id: str, contact_id: str) -> int:
        if self._ahead is not None and self._ahead.knows(contact_id):
            return len(self._ahead.of_journey(journey_id, contact_id))
        row = self._one(
            "SELECT COUNT(*) FROM enrollments WHERE contact_id = ? AND journey_id = ?",
            (contact_id, journey_id),
        )
        return int(row[0])

    def unconverted_enrollments(self, journey_id: str, contact_id: str) -> list[Enrollment]:
        if self._ahead is not None and self._ahead.knows(contact_id):
            return self._ahead.unconverted(journey_id, contact_id)
        return self._enrollments(
            "contact_id = ? AND journey_id = ? AND converted_at IS NULL ORDER BY rowid",
            (contact_id, journey_id),
        )

    def active_enrollments_in(self, journey_id: str, limit: int) -> list[Enrollment]:
        return self._enrollments(
            "journey_id = ? AND status = 'active' LIMIT ?", (journey_id, limit)
        )

    def claim_due_enrollments(
        self,
        now: datetime,
        limit: int,
        *,
        worker: str,
        lease_until: datetime,
        skip_journeys: Iterable[str] = (),
    ) -> list[Enrollment]:
        skip = list(skip_journeys)
        skip_sql = f" AND journey_id NOT IN ({','.join('?' * len(skip))})" if skip else ""
        now_text = codec.ts(now)
        with self.transaction():
            rows = self._all(
                f"UPDATE enrollments SET claimed_by = ?, claim_expires_at = ? WHERE id IN ("
                f" SELECT id FROM enrollments WHERE status = 'active' AND due_at <= ?{skip_sql}"
                " AND (claimed_by IS NULL OR claim_expires_at < ?) ORDER BY due_at LIMIT ?)"
                f" RETURNING {codec.ENROLLMENT_COLUMNS}",
                (worker, codec.ts(lease_until), now_text, *skip, now_text, limit),
            )
        found = [codec.enrollment_from_row(row) for row in rows]
        found.sort(key=lambda e: (e.due_at or e.entered_at, e.id))
        return found

    def add_step_records(self, records: Sequence[StepRecord]) -> None:
        """Inside a transaction the rows wait for its commit (or a read of the history)."""
        self._pending_steps.extend(
            (
                r.enrollment_id,
                r.journey_id,
                r.contact_id,
                r.step_id,
                r.outcome,
                codec.ts(r.at),
                r.detail,
            )
            for r in records
        )
        if self._depth == 0:
            self._flush_steps()

    def _flush_steps(self) -> None:
        if not self._pending_steps:
            return
        rows = list(self._pending_steps)
        self._pending_steps.clear()
        self._conn.executemany(
            "INSERT INTO step_history (enrollment_id, journey_id, contact_id, step_id, outcome,"
            " at, detail) VALUES (?,?,?,?,?,?,?)",
            rows,
        )

    def step_records(self, enrollment_id: str) -> list[StepRecord]:
        self._flush_steps()
        rows = self._all(
            "SELECT enrollment_id, journey_id, contact_id, step_id, outcome, at, detail"
            " FROM step_history WHERE enrollment_id = ? ORDER BY id",
            (enrollment_id,),
        )
        return [
            StepRecord(
                enrollment_id=r[0],
                journey_id=r[1],
                contact_id=r[2],
                step_id=r[3],
                outcome=r[4],
                at=datetime.fromisoformat(r[5]),
                detail=r[6],
            )
            for r in rows
        ]

    # -------------------------------------------------------------- deliveries
    def add_delivery(self, delivery: DeliveryRecord) -> bool:
        cursor = self._conn.execute(
            f"INSERT OR IGNORE INTO deliveries ({codec.DELIVERY_COLUMNS})"
            f" VALUES ({','.join('?' * 15)})",
            codec.delivery_row(delivery),
        )
        return cursor.rowcount == 1

    def get_delivery(self, key: str) -> DeliveryRecord | None:
        row = self._one(
            f"SELECT {codec.DELIVERY_COLUMNS} FROM deliveries WHERE delivery_key = ?", (key,)
        )
        return codec.delivery_from_row(row) if row else None

    _DELIVERY_FIELDS = frozenset({"status", "attempts", "next_attempt_at", "last_error", "sent_at"})

    def update_delivery(self, key: str, **changes: Any) -> None:
        unknown = set(changes) - self._DELIVERY_FIELDS
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)} on a delivery")
        values = [codec.ts(v) if isinstance(v, datetime) else v for v in changes.values()]
        sets = ", ".join(f"{name} = ?" for name in changes)
        self._conn.execute(
            f"UPDATE deliveries SET {sets}, claimed_by = NULL, claim_expires_at = NULL"
            " WHERE delivery_key = ?",
            (*values, key),
        )

    def mark_sent(self, sent: Sequence[tuple[str, int]], at: datetime) -> None:
        stamp = codec.ts(at)
        self._conn.executemany(
            "UPDATE deliveries SET status = 'sent', attempts = ?, sent_at = ?, last_error = NULL,"
            " claimed_by = NULL, claim_expires_at = NULL WHERE delivery_key = ?",
            [(attempts, stamp, key) for key, attempts in sent],
        )

    def claim_due_deliveries(
        self, now: datetime, limit: int, *, worker: str, lease_until: datetime
    ) -> list[DeliveryRecord]:
        now_text = codec.ts(now)
        with self.transaction():
            rows = self._all(
                "UPDATE deliveries SET claimed_by = ?, claim_expires_at = ? WHERE delivery_key IN ("
                " SELECT delivery_key FROM deliveries WHERE status = 'pending'"
                " AND next_attempt_at <= ? AND (claimed_by IS NULL OR claim_expires_at < ?)"
                " ORDER BY next_attempt_at LIMIT ?)"
                f" RETURNING {codec.DELIVERY_COLUMNS}",
                (worker, codec.ts(lease_until), now_text, now_text, limit),
            )
        found = [codec.delivery_from_row(row) for row in rows]
        found.sort(key=lambda d: (d.next_attempt_at or d.created_at, d.delivery_key))
        return found

    def release_claims(self) -> int:
        with self.transaction():
            released = 0
            for table in ("enrollments", "deliveries"):
                cursor = self._conn.execute(
                    f"UPDATE {table} SET claimed_by = NULL, claim_expires_at = NULL"
                    " WHERE claimed_by IS NOT NULL"
                )
                released += cursor.rowcount
        return released

    def marketing_send_times(self, contact_id: str, since: datetime) -> list[datetime]:
        rows = self._all(
            "SELECT created_at FROM deliveries WHERE contact_id = ? AND category = 'marketing'"
            " AND kind != 'webhook' AND status IN ('pending', 'sent') AND created_at > ?"
            " ORDER BY created_at",
            (contact_id, codec.ts(since)),
        )
        return [datetime.fromisoformat(row[0]) for row in rows]

    # ------------------------------------------------------------------- inbox
    def enqueue(self, items: Sequence[tuple[str, dict[str, Any]]], received_at: datetime) -> None:
        stamp = codec.ts(received_at)
        with self.transaction():
            self._conn.executemany(
                "INSERT INTO inbox (kind, body, received_at) VALUES (?, ?, ?)",
                [(kind, codec.dumps(body), stamp) for kind, body in items],
            )

    def known_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(event_ids))):
            marks = ",".join("?" * len(chunk))
            found.update(
                row[0] for row in self._all(f"SELECT id FROM events WHERE id IN ({marks})", chunk)
            )
        return found

    def inbox_batch(self, limit: int) -> list[InboxItem]:
        rows = self._all(
            "SELECT seq, kind, body, received_at FROM inbox ORDER BY seq LIMIT ?", (limit,)
        )
        return [
            InboxItem(
                seq=row[0],
                kind=row[1],
                body=json.loads(row[2]),
                received_at=datetime.fromisoformat(row[3]),
            )
            for row in rows
        ]

    def remove_from_inbox(self, seqs: Sequence[int]) -> None:
        self._conn.executemany("DELETE FROM inbox WHERE seq = ?", [(seq,) for seq in seqs])

    def inbox_size(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM inbox")[0])

    # ----------------------------------------------------------- trigger state
    _TRIGGER_COLUMNS = "journey_id, contact_id, next_fire_at, last_fired_at, segment_match"

    def get_trigger_state(self, journey_id: str, contact_id: str) -> TriggerState | None:
        row = self._one(
            f"SELECT {self._TRIGGER_COLUMNS} FROM trigger_state"
            " WHERE journey_id = ? AND contact_id = ?",
            (journey_id, contact_id),
        )
        return codec.trigger_from_row(row) if row else None

    def get_trigger_states(
        self, journey_id: str, contact_ids: Sequence[str]
    ) -> dict[str, TriggerState]:
        states: dict[str, TriggerState] = {}
        for chunk in _chunks(list(contact_ids)):
            rows = self._all(
                f"SELECT {self._TRIGGER_COLUMNS} FROM trigger_state WHERE journey_id = ?"
                f" AND contact_id IN ({','.join('?' * len(chunk))})",
                (journey_id, *chunk),
            )
            for row in rows:
                state = codec.trigger_from_row(row)
                states[state.contact_id] = state
        return states

    def put_trigger_states(self, states: Sequence[TriggerState]) -> None:
        self._conn.executemany(
            f"INSERT OR REPLACE INTO trigger_state ({self._TRIGGER_COLUMNS}) VALUES (?,?,?,?,?)",
            [codec.trigger_row(state) for state in states],
        )

    def due_trigger_states(
        self, now: datetime, limit: int, journey_ids: Iterable[str]
    ) -> list[TriggerState]:
        ids = list(journey_ids)
        if not ids:
            return []
        rows = self._all(
            f"SELECT {self._TRIGGER_COLUMNS} FROM trigger_state WHERE next_fire_at <= ?"
            f" AND journey_id IN ({','.join('?' * len(ids))}) ORDER BY next_fire_at LIMIT ?",
            (codec.ts(now), *ids, limit),
        )
        return [codec.trigger_from_row(row) for row in rows]

    def get_journey_state(self, journey_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT state FROM journey_state WHERE journey_id = ?", (journey_id,))
        return json.loads(row[0]) if row else None

    def put_journey_state(self, journey_id: str, state: dict[str, Any]) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO journey_state (journey_id, state) VALUES (?, ?)",
            (journey_id, codec.dumps(state)),
        )

    # ----------------------------------------------------------------- reports
    def next_due_at(self, journey_ids: Iterable[str]) -> datetime | None:
        ids = list(journey_ids)
        marks = ",".join("?" * len(ids))
        candidates = [
            self._one("SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'")[0]
        ]
        if ids:
            candidates.append(
                self._one(
                    "SELECT MIN(due_at) FROM enrollments WHERE status = 'active'"
                    f" AND journey_id IN ({marks})",
                    ids,
                )[0]
            )
            candidates.append(
                self._one(
                    f"SELECT MIN(next_fire_at) FROM trigger_state WHERE journey_id IN ({marks})",
                    ids,
                )[0]
            )
            for (state_text,) in self._all(
                f"SELECT state FROM journey_state WHERE journey_id IN ({marks})", ids
            ):
                candidates.append(json.loads(state_text).get("next_fire_at"))
        found = [c for c in candidates if c]
        return datetime.fromisoformat(min(found)) if found else None

    def journey_counts(self, journey_id: str) -> JourneyCounts:
        self._flush_steps()
        return journey_counts(self._conn, journey_id)

    def journey_ids(self) -> list[str]:
        return [row[0] for row in self._all("SELECT DISTINCT journey_id FROM enrollments")]


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    """Slices small enough for one `IN (...)` (SQLite caps bound parameters)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]

"""The SQLite schema as an ordered list of migrations; the store applies the missing ones."""

from __future__ import annotations

import json
import secrets
import sqlite3
from datetime import UTC, datetime

from journey.errors import StoreError

# The id of a queued event; json_valid first, so no unreadable body can fail a write
# or a look-up. Queries must repeat this expression exactly for SQLite to use the index.
INBOX_EVENT_ID = "CASE WHEN json_valid(body) THEN json_extract(body, '$.id') END"

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "initial schema",
        [
            """CREATE TABLE contacts (
                id TEXT PRIMARY KEY, email TEXT, phone TEXT, locale TEXT, timezone TEXT,
                created_at TEXT, consent TEXT NOT NULL DEFAULT '{}',
                attributes TEXT NOT NULL DEFAULT '{}')""",
            """CREATE TABLE events (
                id TEXT PRIMARY KEY, contact_id TEXT NOT NULL, name TEXT NOT NULL,
                timestamp TEXT NOT NULL, received_at TEXT NOT NULL,
                properties TEXT NOT NULL DEFAULT '{}')""",
            "CREATE INDEX events_contact_name_ts ON events (contact_id, name, timestamp)",
            "CREATE INDEX events_timestamp ON events (timestamp)",
            """CREATE TABLE plans (
                hash TEXT PRIMARY KEY, journey_id TEXT NOT NULL, plan TEXT NOT NULL,
                stored_at TEXT)""",
            """CREATE TABLE enrollments (
                id TEXT PRIMARY KEY, journey_id TEXT NOT NULL, contact_id TEXT NOT NULL,
                plan_hash TEXT NOT NULL, status TEXT NOT NULL, step_id TEXT NOT NULL,
                step_entered_at TEXT NOT NULL, due_at TEXT, entered_at TEXT NOT NULL,
                entry TEXT NOT NULL, split_arm TEXT, exit_reason TEXT, exited_at TEXT,
                converted_at TEXT, state TEXT NOT NULL DEFAULT '{}',
                claimed_by TEXT, claim_expires_at TEXT)""",
            "CREATE INDEX enrollments_due ON enrollments (status, due_at)",
            "CREATE INDEX enrollments_contact ON enrollments (contact_id, journey_id)",
            """CREATE UNIQUE INDEX enrollments_one_active
                ON enrollments (journey_id, contact_id) WHERE status = 'active'""",
            """CREATE TABLE step_history (
                id INTEGER PRIMARY KEY, enrollment_id TEXT NOT NULL, journey_id TEXT NOT NULL,
                contact_id TEXT NOT NULL, step_id TEXT NOT NULL, outcome TEXT NOT NULL,
                at TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '')""",
            "CREATE INDEX step_history_enrollment ON step_history (enrollment_id)",
            "CREATE INDEX step_history_journey ON step_history (journey_id, step_id, outcome)",
            "CREATE INDEX step_history_contact ON step_history (contact_id)",
            """CREATE TABLE deliveries (
                delivery_key TEXT PRIMARY KEY, enrollment_id TEXT NOT NULL,
                journey_id TEXT NOT NULL, step_id TEXT NOT NULL, contact_id TEXT NOT NULL,
                channel TEXT NOT NULL, kind TEXT NOT NULL, category TEXT NOT NULL,
                payload TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL, next_attempt_at TEXT, last_error TEXT, sent_at TEXT,
                claimed_by TEXT, claim_expires_at TEXT)""",
            "CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at)",
            "CREATE INDEX deliveries_contact ON deliveries (contact_id, category, created_at)",
            "CREATE INDEX deliveries_journey ON deliveries (journey_id, step_id, status)",
            """CREATE TABLE trigger_state (
                journey_id TEXT NOT NULL, contact_id TEXT NOT NULL, next_fire_at TEXT,
                last_fired_at TEXT, segment_match INTEGER,
                PRIMARY KEY (journey_id, contact_id))""",
            "CREATE INDEX trigger_state_due ON trigger_state (next_fire_at)",
            "CREATE INDEX trigger_state_contact ON trigger_state (contact_id)",
            """CREATE TABLE journey_state (
                journey_id TEXT PRIMARY KEY, state TEXT NOT NULL DEFAULT '{}')""",
        ],
    ),
    (
        2,
        "daemon inbox: events and contact changes acknowledged but not yet processed",
        [
            """CREATE TABLE inbox (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,
                body TEXT NOT NULL, received_at TEXT NOT NULL)""",
        ],
    ),
    (
        3,
        "erasure: tombstones (keyed hashes of erased contact ids) and the store's own keys",
        [
            """CREATE TABLE erased (
                tombstone TEXT PRIMARY KEY, erased_at TEXT NOT NULL,
                scrubbed INTEGER NOT NULL DEFAULT 0, outboxes INTEGER NOT NULL DEFAULT 0)""",
            """CREATE TABLE store_keys (
                purpose TEXT PRIMARY KEY, key TEXT NOT NULL)""",
        ],
    ),
    (
        4,
        "inbox: index of queued event ids (duplicates and conflicts are answered from it)",
        [
            f"CREATE INDEX inbox_event_id ON inbox ({INBOX_EVENT_ID}) WHERE kind = 'event'",
        ],
    ),
    (
        5,
        "unsubscribe keys: the store signs its own links, rotation keeps old ones valid a while",
        [
            """CREATE TABLE unsubscribe_keys (
                id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL,
                created_at TEXT NOT NULL, retired_at TEXT)""",
        ],
    ),
]

LATEST_VERSION = MIGRATIONS[-1][0]
ERASURE_KEY = "erasure"
DATABASE_ID_KEY = "database-id"  # in store_keys: makes Message-IDs unique across databases
# Where a daemon before migration 5 kept its generated secret: adopted, so its links still work.
_OLD_SECRET_STATE = "_daemon"


def apply_migrations(conn: sqlite3.Connection, path: str) -> None:
    """Bring the schema at `conn` to LATEST_VERSION, one transaction per migration."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
        "description TEXT NOT NULL)"
    )
    current = int(conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0)
    if current > LATEST_VERSION:
        raise StoreError(
            f"{path} has schema version {current}, newer than this journey "
            f"({LATEST_VERSION}); upgrade journey"
        )
    for version, description, statements in MIGRATIONS:
        if version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description) VALUES (?, ?)",
                (version, description),
            )
            if version == 3:  # a random key per store, never personal, never shown
                conn.execute(
                    "INSERT INTO store_keys (purpose, key) VALUES (?, ?)",
                    (ERASURE_KEY, secrets.token_hex(32)),
                )
            if version == 5:
                _seed_unsubscribe_key(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _seed_unsubscribe_key(conn: sqlite3.Connection) -> None:
    """The store's first signing key and its random id, made once, when the store is made.

    A store whose daemon already generated a secret (kept in journey_state) keeps
    signing with it, so the links it sent keep working.
    """
    row = conn.execute(
        "SELECT state FROM journey_state WHERE journey_id = ?", (_OLD_SECRET_STATE,)
    ).fetchone()
    old = json.loads(row[0]).get("unsubscribe_secret") if row else None
    key = old.encode().hex() if isinstance(old, str) and old else secrets.token_hex(32)
    conn.execute(
        "INSERT INTO unsubscribe_keys (key, created_at) VALUES (?, ?)",
        (key, datetime.now(UTC).isoformat()),
    )
    conn.execute(
        "INSERT INTO store_keys (purpose, key) VALUES (?, ?)",
        (DATABASE_ID_KEY, secrets.token_hex(8)),
    )

"""The SQLite schema as an ordered list of migrations; the store applies the missing ones."""

from __future__ import annotations

import secrets
import sqlite3
from datetime import UTC, datetime

from journey.errors import StoreError
from journey.instants import ts
from journey.shards import shard_of

# What migrations call to compute a contact's shard (journey.shards.shard_of); the store
# writes the column itself afterwards, so no reader of the file needs the function.
SHARD_FUNCTION = "journey_shard"
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
        "many workers: fencing epochs on claims, claimed trigger state and inbox, shared rate"
        " limits, typed journey state, the unsubscribe secret among the store's keys",
        [
            "ALTER TABLE enrollments ADD COLUMN claim_epoch INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE deliveries ADD COLUMN claim_epoch INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE trigger_state ADD COLUMN claimed_by TEXT",
            "ALTER TABLE trigger_state ADD COLUMN claim_expires_at TEXT",
            "ALTER TABLE trigger_state ADD COLUMN claim_epoch INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE inbox ADD COLUMN claimed_by TEXT",
            "ALTER TABLE inbox ADD COLUMN claim_expires_at TEXT",
            "ALTER TABLE inbox ADD COLUMN claim_epoch INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE journey_state ADD COLUMN trigger TEXT",
            "ALTER TABLE journey_state ADD COLUMN activated_at TEXT",
            "ALTER TABLE journey_state ADD COLUMN next_fire_at TEXT",
            "ALTER TABLE journey_state ADD COLUMN last_fired_at TEXT",
            """UPDATE journey_state SET trigger = json_extract(state, '$.trigger'),
                activated_at = json_extract(state, '$.activated_at'),
                next_fire_at = json_extract(state, '$.next_fire_at'),
                last_fired_at = json_extract(state, '$.last_fired_at')
                WHERE json_valid(state)""",
            """INSERT OR IGNORE INTO store_keys (purpose, key)
                SELECT 'unsubscribe', json_extract(state, '$.unsubscribe_secret')
                FROM journey_state WHERE journey_id = '_daemon' AND json_valid(state)
                AND json_extract(state, '$.unsubscribe_secret') IS NOT NULL""",
            "DELETE FROM journey_state WHERE journey_id = '_daemon'",
            """CREATE TABLE rate_limits (
                channel TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at TEXT NOT NULL)""",
        ],
    ),
    (
        6,
        "results: conversion events by name and time, enrollments by journey and entry",
        [
            "CREATE INDEX events_name_ts ON events (name, timestamp)",
            "CREATE INDEX enrollments_journey_entered ON enrollments (journey_id, entered_at)",
        ],
    ),
    (
        7,
        "unsubscribe keys: the store signs its own links, rotation keeps old ones valid a while",
        [
            """CREATE TABLE unsubscribe_keys (
                id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL,
                created_at TEXT NOT NULL, retired_at TEXT)""",
        ],
    ),
    (
        8,
        "journey clock fires per shard: each contact's shard, a fire's progress on each shard",
        [
            "ALTER TABLE contacts ADD COLUMN shard INTEGER",
            f"UPDATE contacts SET shard = {SHARD_FUNCTION}(id)",
            "CREATE INDEX contacts_shard ON contacts (shard, id)",
            """CREATE TABLE shard_fires (
                journey_id TEXT NOT NULL, fire_at TEXT NOT NULL, shard INTEGER NOT NULL,
                kind TEXT NOT NULL, after_contact TEXT, done_at TEXT,
                PRIMARY KEY (journey_id, fire_at, shard))""",
            "CREATE INDEX shard_fires_pending ON shard_fires (fire_at) WHERE done_at IS NULL",
        ],
    ),
    (
        9,
        "split decisions: a split's auto-winner, decided once (one row per journey and step)",
        [
            """CREATE TABLE split_decisions (
                journey_id TEXT NOT NULL, step_id TEXT NOT NULL, decided_at TEXT NOT NULL,
                winner TEXT, figures TEXT NOT NULL DEFAULT '{}',
                PRIMARY KEY (journey_id, step_id))""",
        ],
    ),
    (
        10,
        "subscription topics: each contact's per-topic, per-message-kind opt-ins",
        ["ALTER TABLE contacts ADD COLUMN topics TEXT NOT NULL DEFAULT '{}'"],
    ),
    (
        11,
        "retention: step history and deliveries by time, so old rows are deleted in batches",
        [
            "CREATE INDEX step_history_at ON step_history (at)",
            "CREATE INDEX deliveries_created ON deliveries (created_at)",
        ],
    ),
    (
        12,
        "edited triggers: the definition each journey's trigger was armed with",
        ["ALTER TABLE journey_state ADD COLUMN trigger_hash TEXT"],
    ),
]

LATEST_VERSION = MIGRATIONS[-1][0]
ERASURE_KEY = "erasure"
# In store_keys from migration 5 (the secret a daemon had made) until migration 7 moved it
# into unsubscribe_keys: its links keep verifying.
OLD_UNSUBSCRIBE_KEY = "unsubscribe"


def apply_migrations(conn: sqlite3.Connection, path: str) -> None:
    """Bring the schema at `conn` to LATEST_VERSION, one transaction per migration."""
    conn.create_function(SHARD_FUNCTION, 1, shard_of, deterministic=True)
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
            if version == 7:
                _seed_unsubscribe_key(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _seed_unsubscribe_key(conn: sqlite3.Connection) -> None:
    """The store's first signing key, made once, when the store is made.

    A store whose daemon already signed links with a secret of its own (kept in
    `store_keys` since migration 5, in journey_state before) keeps signing with
    it, so the links it mailed keep working; the secret moves here, so one table
    holds every unsubscribe key.
    """
    row = conn.execute(
        "SELECT key FROM store_keys WHERE purpose = ?", (OLD_UNSUBSCRIBE_KEY,)
    ).fetchone()
    key = row[0].encode("utf-8").hex() if row and row[0] else secrets.token_hex(32)
    conn.execute(
        "INSERT INTO unsubscribe_keys (key, created_at) VALUES (?, ?)",
        (key, ts(datetime.now(UTC))),
    )
    conn.execute("DELETE FROM store_keys WHERE purpose = ?", (OLD_UNSUBSCRIBE_KEY,))

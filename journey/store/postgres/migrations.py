"""The PostgreSQL schema as an ordered list of migrations, applied under an advisory lock.

Every `journey` process that opens the store applies what is missing, so
workers of a new version can start beside old ones: the transaction-scoped
advisory lock makes one of them apply each migration while the others wait,
then find nothing left to do. DDL is transactional in PostgreSQL: a migration
applies whole or not at all.

Text keys use the "C" collation, so ordering is by code point, as in SQLite
and in Python. Instants are `timestamptz` (microseconds, like the SQLite
store's text); JSON blobs are `json`, which keeps the text as written (keys
in the order `codec.dumps` sorted them), so answers are the SQLite store's.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import psycopg

from journey.errors import StoreError
from journey.shards import SHARD_COUNT, shard_sql
from journey.store.postgres.dedupe import KEY_TABLES
from journey.store.postgres.partitions import HISTORY_TABLES, MONTHS_AHEAD, HistoryTable

MIGRATION_LOCK = 0x4A524E59_0001  # "JRNY" + 1: one migrating process at a time
ERASURE_KEY = "erasure"
K = 'text COLLATE "C"'  # keys and names: compared and ordered by code point
# an inbox item's contact: an event's `contact_id`, a contact change's `id`
INBOX_CONTACT = (
    "COALESCE(CASE WHEN kind = 'event' THEN body->>'contact_id' ELSE body->>'id' END, '')"
)

HISTORY = tuple(table.name for table in HISTORY_TABLES)
MONTHS_KEPT_AT_UPGRADE = 36  # older rows wait in the DEFAULT partition for their expiry


def _months_of_old_rows(table: HistoryTable) -> str:
    """A month partition for each month the old table holds rows of (within the last
    MONTHS_KEPT_AT_UPGRADE) and for this month and MONTHS_AHEAD after it."""
    this_month = "date_trunc('month', now(), 'UTC')"
    column = f"{table.name}_unpartitioned.{table.column}"
    return f"""DO $$ DECLARE m timestamptz; BEGIN
        FOR m IN SELECT DISTINCT date_trunc('month', {column}, 'UTC')
            FROM {table.name}_unpartitioned
            WHERE {column} >= {this_month} - interval '{MONTHS_KEPT_AT_UPGRADE} months'
            AND {column} < {this_month}
        UNION SELECT generate_series({this_month},
            {this_month} + interval '{MONTHS_AHEAD} months', interval '1 month')
        LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF {table.name} FOR VALUES FROM (%L) TO (%L)',
                '{table.name}_y' || to_char(m AT TIME ZONE 'UTC', 'YYYY"m"MM'), m,
                (m AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
        END LOOP; END $$"""


MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "initial schema: contacts, events, plans, enrollments, history, deliveries, queues",
        [
            f"""CREATE TABLE contacts (
                id {K} PRIMARY KEY, email text, phone text, locale text, timezone text,
                created_at timestamptz, consent json NOT NULL DEFAULT '{{}}',
                attributes json NOT NULL DEFAULT '{{}}')""",
            f"""CREATE TABLE events (
                id {K} PRIMARY KEY, contact_id {K} NOT NULL, name {K} NOT NULL,
                timestamp timestamptz NOT NULL, received_at timestamptz NOT NULL,
                properties json NOT NULL DEFAULT '{{}}')""",
            "CREATE INDEX events_contact_name_ts ON events (contact_id, name, timestamp)",
            "CREATE INDEX events_timestamp ON events (timestamp)",
            f"""CREATE TABLE plans (
                hash {K} PRIMARY KEY, journey_id {K} NOT NULL, plan text NOT NULL,
                stored_at timestamptz NOT NULL DEFAULT now())""",
            f"""CREATE TABLE enrollments (
                seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                id {K} PRIMARY KEY, journey_id {K} NOT NULL, contact_id {K} NOT NULL,
                plan_hash {K} NOT NULL, status {K} NOT NULL, step_id {K} NOT NULL,
                step_entered_at timestamptz NOT NULL, due_at timestamptz,
                entered_at timestamptz NOT NULL, entry json NOT NULL, split_arm text,
                exit_reason text, exited_at timestamptz, converted_at timestamptz,
                state json NOT NULL DEFAULT '{{}}',
                claimed_by text, claim_expires_at timestamptz,
                claim_epoch bigint NOT NULL DEFAULT 0)""",
            # what is due only: the claim scans this and nothing else
            "CREATE INDEX enrollments_due ON enrollments (due_at) WHERE status = 'active'",
            "CREATE INDEX enrollments_contact ON enrollments (contact_id, journey_id, seq)",
            "CREATE INDEX enrollments_journey ON enrollments (journey_id, status)",
            """CREATE UNIQUE INDEX enrollments_one_active
                ON enrollments (journey_id, contact_id) WHERE status = 'active'""",
            f"""CREATE TABLE step_history (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                enrollment_id {K} NOT NULL, journey_id {K} NOT NULL, contact_id {K} NOT NULL,
                step_id {K} NOT NULL, outcome {K} NOT NULL, at timestamptz NOT NULL,
                detail text NOT NULL DEFAULT '')""",
            "CREATE INDEX step_history_enrollment ON step_history (enrollment_id)",
            "CREATE INDEX step_history_journey ON step_history (journey_id, step_id, outcome)",
            "CREATE INDEX step_history_contact ON step_history (contact_id)",
            f"""CREATE TABLE deliveries (
                delivery_key {K} PRIMARY KEY, enrollment_id {K} NOT NULL,
                journey_id {K} NOT NULL, step_id {K} NOT NULL, contact_id {K} NOT NULL,
                channel {K} NOT NULL, kind {K} NOT NULL, category {K} NOT NULL,
                payload json NOT NULL, status {K} NOT NULL, attempts integer NOT NULL DEFAULT 0,
                created_at timestamptz NOT NULL, next_attempt_at timestamptz, last_error text,
                sent_at timestamptz, claimed_by text, claim_expires_at timestamptz,
                claim_epoch bigint NOT NULL DEFAULT 0)""",
            """CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
                WHERE status IN ('pending', 'uncertain')""",
            "CREATE INDEX deliveries_contact ON deliveries (contact_id, category, created_at)",
            "CREATE INDEX deliveries_journey ON deliveries (journey_id, step_id, status)",
            f"""CREATE TABLE trigger_state (
                journey_id {K} NOT NULL, contact_id {K} NOT NULL, next_fire_at timestamptz,
                last_fired_at timestamptz, segment_match boolean,
                PRIMARY KEY (journey_id, contact_id))""",
            """CREATE INDEX trigger_state_due ON trigger_state (next_fire_at)
                WHERE next_fire_at IS NOT NULL""",
            "CREATE INDEX trigger_state_contact ON trigger_state (contact_id)",
            f"""CREATE TABLE journey_state (
                journey_id {K} PRIMARY KEY, state json NOT NULL DEFAULT '{{}}')""",
            f"""CREATE TABLE inbox (
                seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind {K} NOT NULL,
                body json NOT NULL, received_at timestamptz NOT NULL)""",
            """CREATE INDEX inbox_event_id ON inbox (((body->>'id') COLLATE "C"))
                WHERE kind = 'event'""",
            """CREATE INDEX inbox_contact_id ON inbox (((body->>'contact_id') COLLATE "C"))""",
            f"""CREATE TABLE erased (
                tombstone {K} PRIMARY KEY, erased_at timestamptz NOT NULL,
                scrubbed boolean NOT NULL DEFAULT false,
                outboxes boolean NOT NULL DEFAULT false)""",
            f"CREATE TABLE store_keys (purpose {K} PRIMARY KEY, key text NOT NULL)",
            # the store's identity: a database dropped and made again under a running
            # daemon has another id, and the daemon stops
            """CREATE TABLE store_identity (
                store_id text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())""",
        ],
    ),
    (
        2,
        "many workers: fencing epochs on claimed trigger state and inbox, shared rate limits,"
        " typed journey state, the unsubscribe secret among the store's keys",
        [
            """ALTER TABLE trigger_state ADD COLUMN claimed_by text,
                ADD COLUMN claim_expires_at timestamptz,
                ADD COLUMN claim_epoch bigint NOT NULL DEFAULT 0""",
            """ALTER TABLE inbox ADD COLUMN claimed_by text,
                ADD COLUMN claim_expires_at timestamptz,
                ADD COLUMN claim_epoch bigint NOT NULL DEFAULT 0""",
            """ALTER TABLE journey_state ADD COLUMN trigger text,
                ADD COLUMN activated_at timestamptz, ADD COLUMN next_fire_at timestamptz,
                ADD COLUMN last_fired_at timestamptz""",
            """UPDATE journey_state SET trigger = state->>'trigger',
                activated_at = (state->>'activated_at')::timestamptz,
                next_fire_at = (state->>'next_fire_at')::timestamptz,
                last_fired_at = (state->>'last_fired_at')::timestamptz
                WHERE json_typeof(state) = 'object'""",
            """INSERT INTO store_keys (purpose, key)
                SELECT 'unsubscribe', state->>'unsubscribe_secret' FROM journey_state
                WHERE journey_id = '_daemon' AND json_typeof(state) = 'object'
                AND state->>'unsubscribe_secret' IS NOT NULL
                ON CONFLICT (purpose) DO NOTHING""",
            "DELETE FROM journey_state WHERE journey_id = '_daemon'",
            "ALTER TABLE journey_state DROP COLUMN state",
            # the journey clocks a schedule or segment re-check waits on
            """CREATE INDEX journey_state_due ON journey_state (next_fire_at)
                WHERE next_fire_at IS NOT NULL""",
            f"""CREATE TABLE rate_limits (
                channel {K} PRIMARY KEY, tokens double precision NOT NULL,
                updated_at timestamptz NOT NULL)""",
        ],
    ),
    (
        3,
        "results: conversion events by name and time, enrollments by journey and entry",
        [
            "CREATE INDEX events_name_ts ON events (name, timestamp)",
            "CREATE INDEX enrollments_journey_entered ON enrollments (journey_id, entered_at)",
        ],
    ),
    (
        4,
        "unsubscribe keys: the store signs its own links, rotation keeps old ones valid a while",
        [
            """CREATE TABLE unsubscribe_keys (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, key text NOT NULL,
                created_at timestamptz NOT NULL, retired_at timestamptz)""",
        ],
    ),
    (
        5,
        f"shard leases: {SHARD_COUNT} virtual shards by contact id, the workers that hold them,"
        " a shard column on every claimed table",
        [
            """CREATE TABLE shards (
                shard integer PRIMARY KEY, holder text, epoch bigint NOT NULL DEFAULT 0,
                heartbeat_at timestamptz, expires_at timestamptz)""",
            f"INSERT INTO shards (shard) SELECT generate_series(0, {SHARD_COUNT - 1})",
            """CREATE TABLE workers (
                name text PRIMARY KEY, host text NOT NULL, pid integer NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now(),
                heartbeat_at timestamptz NOT NULL DEFAULT now(),
                expires_at timestamptz NOT NULL)""",
            *(
                f"ALTER TABLE {table} ADD COLUMN shard integer"
                f" GENERATED ALWAYS AS ({shard_sql('contact_id')}) STORED"
                for table in ("enrollments", "deliveries", "trigger_state")
            ),
            "ALTER TABLE inbox ADD COLUMN shard integer"
            f" GENERATED ALWAYS AS ({shard_sql(INBOX_CONTACT)}) STORED",
            # what is due, per shard: a worker's claims scan its own shards only
            """CREATE INDEX enrollments_shard_due ON enrollments (shard, due_at)
                WHERE status = 'active'""",
            """CREATE INDEX deliveries_shard_due ON deliveries (shard, next_attempt_at)
                WHERE status IN ('pending', 'uncertain')""",
            """CREATE INDEX trigger_state_shard_due ON trigger_state (shard, next_fire_at)
                WHERE next_fire_at IS NOT NULL""",
            "CREATE INDEX inbox_shard ON inbox (shard, seq)",
        ],
    ),
    (
        6,
        "journey clock fires per shard: each contact's shard, a fire's progress on each shard",
        [
            "ALTER TABLE contacts ADD COLUMN shard integer"
            f" GENERATED ALWAYS AS ({shard_sql('id')}) STORED",
            "CREATE INDEX contacts_shard ON contacts (shard, id)",
            f"""CREATE TABLE shard_fires (
                journey_id {K} NOT NULL, fire_at timestamptz NOT NULL, shard integer NOT NULL,
                kind {K} NOT NULL, after_contact {K}, done_at timestamptz,
                PRIMARY KEY (journey_id, fire_at, shard))""",
            """CREATE INDEX shard_fires_pending ON shard_fires (shard, fire_at)
                WHERE done_at IS NULL""",
        ],
    ),
    (
        7,
        "split decisions: a split's auto-winner, decided once (one row per journey and step)",
        [
            """CREATE TABLE split_decisions (
                journey_id text NOT NULL, step_id text NOT NULL, decided_at timestamptz NOT NULL,
                winner text, figures jsonb NOT NULL DEFAULT '{}',
                PRIMARY KEY (journey_id, step_id))""",
        ],
    ),
    (
        8,
        "subscription topics: each contact's per-topic, per-message-kind opt-ins",
        ["ALTER TABLE contacts ADD COLUMN topics json NOT NULL DEFAULT '{}'"],
    ),
    (
        9,
        "history by month: events, step history and deliveries range-partitioned by their"
        " time, a DEFAULT partition each; old months are dropped, not deleted",
        [
            "LOCK TABLE events, step_history, deliveries IN ACCESS EXCLUSIVE MODE",
            *(f"ALTER TABLE {t} RENAME TO {t}_unpartitioned" for t in HISTORY),
            f"""CREATE TABLE events (
                id {K} NOT NULL, contact_id {K} NOT NULL, name {K} NOT NULL,
                timestamp timestamptz NOT NULL, received_at timestamptz NOT NULL,
                properties json NOT NULL DEFAULT '{{}}') PARTITION BY RANGE (timestamp)""",
            f"""CREATE TABLE step_history (
                id bigint GENERATED ALWAYS AS IDENTITY,
                enrollment_id {K} NOT NULL, journey_id {K} NOT NULL, contact_id {K} NOT NULL,
                step_id {K} NOT NULL, outcome {K} NOT NULL, at timestamptz NOT NULL,
                detail text NOT NULL DEFAULT '') PARTITION BY RANGE (at)""",
            f"""CREATE TABLE deliveries (
                delivery_key {K} NOT NULL, enrollment_id {K} NOT NULL,
                journey_id {K} NOT NULL, step_id {K} NOT NULL, contact_id {K} NOT NULL,
                channel {K} NOT NULL, kind {K} NOT NULL, category {K} NOT NULL,
                payload json NOT NULL, status {K} NOT NULL, attempts integer NOT NULL DEFAULT 0,
                created_at timestamptz NOT NULL, next_attempt_at timestamptz, last_error text,
                sent_at timestamptz, claimed_by text, claim_expires_at timestamptz,
                claim_epoch bigint NOT NULL DEFAULT 0,
                shard integer GENERATED ALWAYS AS ({shard_sql("contact_id")}) STORED)
                PARTITION BY RANGE (created_at)""",
            *(f"CREATE TABLE {t}_default PARTITION OF {t} DEFAULT" for t in HISTORY),
            *(_months_of_old_rows(table) for table in HISTORY_TABLES),
            *(
                f"INSERT INTO {table.name} ({table.columns})"
                f"{' OVERRIDING SYSTEM VALUE' if table.name == 'step_history' else ''}"
                f" SELECT {table.columns} FROM {table.name}_unpartitioned"
                for table in HISTORY_TABLES
            ),
            """SELECT setval(pg_get_serial_sequence('step_history', 'id'),
                COALESCE(MAX(id), 0) + 1, false) FROM step_history""",
            *(f"DROP TABLE {t}_unpartitioned" for t in HISTORY),
            # no unique index can leave out the partition column: an event id and a delivery
            # key are kept once by the store's inserts (journey.store.postgres.dedupe)
            "ALTER TABLE events ADD PRIMARY KEY (id, timestamp)",
            "CREATE INDEX events_contact_name_ts ON events (contact_id, name, timestamp)",
            "CREATE INDEX events_timestamp ON events (timestamp)",
            "CREATE INDEX events_name_ts ON events (name, timestamp)",
            "ALTER TABLE step_history ADD PRIMARY KEY (id, at)",
            "CREATE INDEX step_history_enrollment ON step_history (enrollment_id)",
            "CREATE INDEX step_history_journey ON step_history (journey_id, step_id, outcome)",
            "CREATE INDEX step_history_contact ON step_history (contact_id)",
            "CREATE INDEX step_history_at ON step_history (at)",
            "ALTER TABLE deliveries ADD PRIMARY KEY (delivery_key, created_at)",
            """CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
                WHERE status IN ('pending', 'uncertain')""",
            "CREATE INDEX deliveries_contact ON deliveries (contact_id, category, created_at)",
            "CREATE INDEX deliveries_journey ON deliveries (journey_id, step_id, status)",
            """CREATE INDEX deliveries_shard_due ON deliveries (shard, next_attempt_at)
                WHERE status IN ('pending', 'uncertain')""",
            "CREATE INDEX deliveries_created ON deliveries (created_at)",
        ],
    ),
    (
        10,
        "key tables: an event id and a delivery key kept once by an unpartitioned primary key"
        " (event_keys, delivery_keys), not by an advisory lock per key",
        [
            # inserts of the version before (under advisory locks) finish first, and none
            # starts until the keys are filled
            "LOCK TABLE events, deliveries IN SHARE ROW EXCLUSIVE MODE",
            f"""CREATE TABLE event_keys (
                id {K} PRIMARY KEY, contact_id {K} NOT NULL, timestamp timestamptz NOT NULL)""",
            f"""CREATE TABLE delivery_keys (
                delivery_key {K} PRIMARY KEY, contact_id {K} NOT NULL,
                created_at timestamptz NOT NULL)""",
            *(
                f"CREATE INDEX {t.name}_{t.column} ON {t.name} ({t.column}, {t.key})"
                for t in KEY_TABLES
            ),
            *(f"CREATE INDEX {t.name}_contact ON {t.name} (contact_id)" for t in KEY_TABLES),
            *(t.fill() for t in KEY_TABLES),
        ],
    ),
    (
        11,
        "edited triggers: the definition each journey's trigger was armed with",
        ["ALTER TABLE journey_state ADD COLUMN trigger_hash text"],
    ),
]

LATEST_VERSION = MIGRATIONS[-1][0]


def apply_migrations(conn: psycopg.Connection[tuple[Any, ...]], where: str) -> None:
    """Bring the schema to LATEST_VERSION; concurrent callers apply each migration once."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        tables = {
            str(row[0])
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
        }
        if "schema_version" not in tables and tables:
            raise StoreError(
                f"{where} already holds tables ({', '.join(sorted(tables)[:3])}…) but is not "
                "a journey store; refusing it (give an empty database or schema)"
            )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL PRIMARY KEY,"
            " description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = int(row[0] or 0) if row else 0
        if current > LATEST_VERSION:
            raise StoreError(
                f"{where} has schema version {current}, newer than this journey "
                f"({LATEST_VERSION}); upgrade journey"
            )
        for version, description, statements in MIGRATIONS:
            if version <= current:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description) VALUES (%s, %s)",
                (version, description),
            )
            if version == 1:  # a random key per store, never personal, never shown
                conn.execute(
                    "INSERT INTO store_keys (purpose, key) VALUES (%s, %s)",
                    (ERASURE_KEY, secrets.token_hex(32)),
                )
                conn.execute(
                    "INSERT INTO store_identity (store_id) VALUES (%s)", (str(uuid.uuid4()),)
                )
            if version == 4:  # the first key: the daemon's secret (store_keys), else a new one
                row = conn.execute(
                    "SELECT key FROM store_keys WHERE purpose = 'unsubscribe'"
                ).fetchone()
                key = str(row[0]).encode().hex() if row and row[0] else secrets.token_hex(32)
                conn.execute(
                    "INSERT INTO unsubscribe_keys (key, created_at) VALUES (%s, now())", (key,)
                )
                conn.execute("DELETE FROM store_keys WHERE purpose = 'unsubscribe'")

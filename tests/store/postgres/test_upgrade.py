"""A PostgreSQL store made by the first schema upgrades in place: journey clocks and the
unsubscribe secret survive the move to typed journey state and the store's keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from journey.daemon.secret import signing_key
from journey.records import JourneyState
from journey.store.postgres import PostgresStore
from journey.store.postgres.migrations import LATEST_VERSION, MIGRATIONS
from tests.support.backends import PostgresBackend

NEXT = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


@pytest.fixture
def backend() -> Iterator[PostgresBackend]:
    made = PostgresBackend()
    yield made
    made.close()


def version_1_store(url: str) -> None:
    """The schema and rows a store of the first version holds (journey state as JSON)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE schema_version (version integer NOT NULL PRIMARY KEY,"
            " description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        version, description, statements = MIGRATIONS[0]
        for statement in statements:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (%s, %s)", (version, description))
        conn.execute("INSERT INTO store_keys VALUES ('erasure', 'k')")
        conn.execute("INSERT INTO store_identity (store_id) VALUES ('the-store')")
        weekly = {"trigger": "schedule", "activated_at": "2026-03-01T09:00:00.000000+00:00"}
        weekly["next_fire_at"] = "2026-03-09T09:00:00.000000+00:00"
        conn.execute("INSERT INTO journey_state VALUES ('weekly', %s)", (json.dumps(weekly),))
        secret = json.dumps({"unsubscribe_secret": "links-already-mailed"})
        conn.execute("INSERT INTO journey_state VALUES ('_daemon', %s)", (secret,))
        conn.execute(
            "INSERT INTO trigger_state (journey_id, contact_id, next_fire_at)"
            " VALUES ('birthday', 'c1', %s)",
            (NEXT,),
        )


def test_journey_clocks_and_the_unsubscribe_secret_survive_the_upgrade(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    url = backend.url(tmp_path, "old")
    version_1_store(url)
    store = PostgresStore(url)
    try:
        assert store.schema_version == LATEST_VERSION
        assert store.store_id == "the-store"
        assert store.get_journey_state("weekly") == JourneyState(
            journey_id="weekly",
            trigger="schedule",
            activated_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
            next_fire_at=NEXT,
        )
        assert store.get_journey_state("_daemon") is None  # not a journey
        # links in messages already sent keep working: the daemon's secret is the old one
        assert signing_key(store) == b"links-already-mailed"
        assert store.next_due_at(["weekly"]) == NEXT
        [claimed] = store.claim_due_trigger_states(
            NEXT, 10, ["birthday"], worker="w", lease_until=NEXT
        )  # a trigger armed before the upgrade is claimed like any other
        assert claimed.lease is not None and claimed.lease.epoch == 1
    finally:
        store.close()

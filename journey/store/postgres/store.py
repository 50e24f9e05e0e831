"""The PostgreSQL StateStore: the SQLite store's contract and answers, for many processes.

`PostgresStore` puts together one mixin per group of tables (`contacts`,
`enrollments`, `deliveries`, `history`, `queues`, `triggers`, `fires`, `shared`,
`results`) over the connection (`connection`);
plans, reports and the batch read-ahead, which span tables, live here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from journey.model import Plan
from journey.store import codec
from journey.store.abc import JourneyCounts, StateStore
from journey.store.postgres import rows as pg
from journey.store.postgres.contacts import PostgresContacts
from journey.store.postgres.deliveries import PostgresDeliveries
from journey.store.postgres.enrollments import PostgresEnrollments
from journey.store.postgres.experiments import PostgresExperiments
from journey.store.postgres.fires import PostgresFires
from journey.store.postgres.history import PostgresHistory
from journey.store.postgres.keys import PostgresKeys
from journey.store.postgres.queues import PostgresQueues
from journey.store.postgres.reports import journey_counts
from journey.store.postgres.results import PostgresResults
from journey.store.postgres.shared import PostgresShared
from journey.store.postgres.triggers import PostgresTriggers
from journey.store.readahead import ReadAhead


class PostgresStore(
    PostgresContacts,
    PostgresEnrollments,
    PostgresDeliveries,
    PostgresHistory,
    PostgresQueues,
    PostgresTriggers,
    PostgresFires,
    PostgresShared,
    PostgresResults,
    PostgresKeys,
    PostgresExperiments,
    StateStore,
):
    """The StateStore on one PostgreSQL database; see the mixins for each group of tables."""

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
        if ids:
            for row in self._all(
                f"SELECT seq, {codec.ENROLLMENT_COLUMNS} FROM enrollments"
                " WHERE contact_id = ANY(%s) ORDER BY seq",
                (ids,),
            ):
                enrollment = pg.enrollment_from_row(row[1:])
                ahead.enrollments[enrollment.contact_id].append((row[0], enrollment))
        self._ahead = ahead

    # ------------------------------------------------------------------- plans
    def save_plan(self, plan: Plan) -> None:
        self._cache_plan(plan.plan_hash, plan)
        from journey.compiler import plan_to_dict

        self._run(
            "INSERT INTO plans (hash, journey_id, plan) VALUES (%s, %s, %s)"
            " ON CONFLICT (hash) DO NOTHING",
            (plan.plan_hash, plan.journey_id, codec.dumps(plan_to_dict(plan))),
        )

    def get_plan(self, plan_hash: str) -> Plan | None:
        if plan_hash in self._plans:
            return self._plans[plan_hash]
        row = self._one("SELECT plan FROM plans WHERE hash = %s", (plan_hash,))
        if row is None:
            return None
        from journey.compiler import plan_from_dict

        plan = plan_from_dict(codec.loads(row[0]))
        self._cache_plan(plan_hash, plan)
        return plan

    # ----------------------------------------------------------------- reports
    def next_due_at(self, journey_ids: Iterable[str]) -> datetime | None:
        ids = list(journey_ids)
        row = self._one(
            "SELECT MIN(next_attempt_at) FROM deliveries WHERE status IN ('pending', 'uncertain')"
        )
        candidates = [pg.utc(row[0])]
        if ids:
            row = self._one(
                "SELECT (SELECT MIN(due_at) FROM enrollments WHERE status = 'active'"
                " AND journey_id = ANY(%s)),"
                " (SELECT MIN(next_fire_at) FROM trigger_state WHERE journey_id = ANY(%s)),"
                " (SELECT MIN(next_fire_at) FROM journey_state WHERE journey_id = ANY(%s)),"
                " (SELECT MIN(fire_at) FROM shard_fires WHERE done_at IS NULL"
                " AND journey_id = ANY(%s))",
                (ids, ids, ids, ids),
            )
            candidates += [pg.utc(value) for value in row]
        found = [c for c in candidates if c is not None]
        return min(found) if found else None

    def journey_counts(self, journey_id: str) -> JourneyCounts:
        self._flush_steps()
        with self._connection() as conn:
            return journey_counts(conn, journey_id)

    def journey_ids(self) -> list[str]:
        rows = self._all("SELECT DISTINCT journey_id FROM enrollments ORDER BY journey_id")
        return [row[0] for row in rows]

"""PostgreSQL store, the daemon's inbox: appended, claimed in arrival order, removed when done.

Answers about event ids (`events_by_id`) and appends to the inbox take one
transaction-scoped advisory lock, so two requests that carry the same id at
the same moment are answered as if one came first: one `new`, one
`duplicate` (SQLite gets that from its single writer). Appends one at a time
also commit in `seq` order, so a claim never skips an item that commits later
with a smaller number. Claims take the oldest unclaimed items with
`FOR UPDATE SKIP LOCKED`; removal locks the batch and checks every lease first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from journey.model import Event
from journey.records import InboxItem, LeaseLost
from journey.store import codec
from journey.store.postgres import rows as pg
from journey.store.postgres.connection import PostgresConnection

INBOX_LOCK = 0x4A524E59_0002  # "JRNY" + 2: event-id answers and inbox appends, one at a time


class PostgresQueues(PostgresConnection):
    # ------------------------------------------------------------------- inbox
    def enqueue(self, items: Sequence[tuple[str, dict[str, Any]]], received_at: datetime) -> None:
        with self.transaction():
            self._run("SELECT pg_advisory_xact_lock(%s)", (INBOX_LOCK,))
            self._many(
                "INSERT INTO inbox (kind, body, received_at) VALUES (%s, %s, %s)",
                [(kind, codec.dumps(body), received_at) for kind, body in items],
            )

    def known_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        return set(self.events_by_id(event_ids))

    def events_by_id(self, event_ids: Sequence[str]) -> dict[str, Event]:
        ids = list(dict.fromkeys(event_ids))
        if not ids:
            return {}
        if self._depth > 0:  # the answer holds until this transaction enqueues
            self._run("SELECT pg_advisory_xact_lock(%s)", (INBOX_LOCK,))
        found: dict[str, Event] = {}
        for row in self._all(
            "SELECT id, contact_id, name, timestamp, received_at, properties FROM events"
            " WHERE id = ANY(%s)",
            (ids,),
        ):
            found[row[0]] = pg.event_from_row(row)
        for body, received_at in self._all(
            "SELECT body, received_at FROM inbox WHERE kind = 'event'"
            " AND (body->>'id') COLLATE \"C\" = ANY(%s) ORDER BY seq",
            (ids,),
        ):
            if body["id"] not in found:
                found[body["id"]] = codec.event_from_body(body, pg.instant(received_at))
        return found

    def claim_inbox(
        self, now: datetime, limit: int, *, worker: str, lease_until: datetime
    ) -> list[InboxItem]:
        fence, fenced = self._own_shards(worker)
        with self.transaction():
            rows = self._all(
                "WITH due AS (SELECT seq FROM inbox"
                f" WHERE (claimed_by IS NULL OR claim_expires_at < %s){fence}"
                " ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED)"
                " UPDATE inbox AS i SET claimed_by = %s, claim_expires_at = %s,"
                " claim_epoch = i.claim_epoch + 1 FROM due WHERE i.seq = due.seq"
                f" RETURNING i.seq, i.kind, i.body, i.received_at,"
                f" {pg.qualified('i', codec.CLAIM_COLUMNS)}",
                (now, *fenced, limit, worker, lease_until),
            )
        items = [
            InboxItem(
                seq=row[0],
                kind=row[1],
                body=row[2],
                received_at=pg.instant(row[3]),
                lease=pg.lease_from_row(row),
            )
            for row in rows
        ]
        items.sort(key=lambda item: item.seq)
        return items

    def remove_from_inbox(self, items: Sequence[InboxItem]) -> None:
        if not items:
            return
        with (
            self.transaction()
        ):  # the batch's rows locked: no claim changes between check and delete
            leased = {item.seq: item.lease for item in items if item.lease is not None}
            if leased:
                for seq, holder, epoch, shard_holder in self._all(
                    "SELECT i.seq, i.claimed_by, i.claim_epoch,"
                    " CASE WHEN s.expires_at > now() THEN s.holder END"
                    " FROM inbox i JOIN shards s ON s.shard = i.shard WHERE i.seq = ANY(%s)"
                    " ORDER BY i.seq FOR UPDATE OF i",
                    (list(leased),),
                ):
                    lease = leased[seq]
                    assert lease is not None
                    if epoch != lease.epoch or holder not in (None, lease.worker):
                        raise LeaseLost(f"inbox item {seq}", lease)
                    if self.sharded and shard_holder != lease.worker:  # the shard moved on
                        raise LeaseLost(f"inbox item {seq} (its shard)", lease)
            self._run("DELETE FROM inbox WHERE seq = ANY(%s)", ([item.seq for item in items],))

    def release_inbox(self, items: Sequence[InboxItem]) -> None:
        held = [(i.seq, i.lease.epoch, i.lease.worker) for i in items if i.lease is not None]
        self._many(
            "UPDATE inbox SET claimed_by = NULL, claim_expires_at = NULL"
            " WHERE seq = %s AND claim_epoch = %s AND claimed_by = %s",
            held,
        )

    def inbox_size(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM inbox")[0])

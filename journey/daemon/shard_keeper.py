"""Shard leases of one `journey run` on PostgreSQL: renewed in the background, shared fairly.

Every worker registers in `workers` and renews its row and its shards' leases
on its own connection, from a thread, every `heartbeat` seconds (with jitter):
a busy tick never lets a lease lapse. Taking and giving up shards happens on
the work thread between rounds (`rebalance`), so a shard never changes hands
while this process is sending for it. A worker aims at a fair share,
ceil(shards / live workers): it gives up the ones past it and takes free or
expired ones up to it. Taking a shard moves its epoch on and fences every row
of it that is claimed (the claim's epoch moves on, the claim is cleared): the
old holder's writes are refused (`LeaseLost`), and the work is due at once.

`holds(contact_id)` is asked before every send: the shard is held and its lease
runs by this process's monotonic clock. The lease is counted from the moment a
renewal was asked, before the database's `now()` of it, so the local view ends
first. A process frozen past its lease (SIGSTOP, a pause, a partition) wakes up
holding nothing: its renewals find the shards gone and it logs `shards_lost`.
"""

from __future__ import annotations

import math
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg

from journey.daemon.logs import StateLog
from journey.errors import StoreError
from journey.shards import DEFAULT_SHARD_LEASE, SHARD_COUNT, shard_of
from journey.store.postgres.connection import Connection, WorkerSession, connect
from journey.store.postgres.deliveries import CLAIMED_TABLES


class ShardKeeper:
    def __init__(
        self,
        url: str,
        worker: str,
        log: StateLog,
        *,
        lease: timedelta = DEFAULT_SHARD_LEASE,
        heartbeat: timedelta | None = None,
    ) -> None:
        self.url = url
        self.worker = worker
        self.log = log
        self.lease = lease.total_seconds()
        every = heartbeat.total_seconds() if heartbeat else self.lease / 3
        self.heartbeat = min(every, self.lease / 2)
        self._conn: Connection | None = None
        self._held: dict[int, int] = {}  # shard -> epoch
        self._valid_until = 0.0  # time.monotonic() past which nothing held counts
        self._lock = threading.RLock()  # one transaction at a time on the connection
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rebalanced = 0.0

    # ------------------------------------------------------------ the public view
    def holds(self, contact_id: str) -> bool:
        """May this process send or write for the contact now?"""
        return time.monotonic() < self._valid_until and shard_of(contact_id) in self._held

    def held(self) -> dict[int, int]:
        return dict(self._held) if time.monotonic() < self._valid_until else {}

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Register, take a first share of the shards, start renewing in the background."""
        self._conn = self._open()
        with self._lock, self._transaction() as conn:
            conn.execute("DELETE FROM workers WHERE expires_at < now() - interval '1 day'")
        self._renew()
        self.rebalance(force=True)
        self._thread = threading.Thread(target=self._beat, name="shard-keeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Hand every shard back at once (a stop), so the others need not wait for the lease."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.heartbeat + 5)
        given = list(self._held)
        self._held, self._valid_until = {}, 0.0
        if self._conn is None:
            return
        try:
            with self._lock, self._conn.transaction():
                self._conn.execute(
                    "UPDATE shards SET holder = NULL, expires_at = NULL WHERE holder = %s",
                    (self.worker,),
                )
                # kept a day as gone, so `journey status` shows who worked here lately
                self._conn.execute(
                    "UPDATE workers SET expires_at = now() WHERE name = %s", (self.worker,)
                )
        except psycopg.Error:
            pass  # unreachable: the leases run out by themselves
        finally:
            self._conn.close()
            self._conn = None
        if given:
            self.log.emit("shards_released", worker=self.worker, shards=len(given))

    # ------------------------------------------------------------------ renewing
    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat * random.uniform(0.8, 1.2)):
            try:
                self._renew()
            except (psycopg.Error, StoreError) as exc:
                self.log.emit("error", worker=self.worker, error=f"shard lease renewal: {exc}")
                self._reconnect()

    def _reconnect(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            try:
                self._conn = self._open()
            except StoreError:
                self._conn = None

    def _renew(self) -> None:
        asked = time.monotonic()
        with self._lock, self._transaction() as conn:
            conn.execute(
                "INSERT INTO workers (name, host, pid, expires_at)"
                " VALUES (%s, %s, %s, now() + make_interval(secs => %s))"
                " ON CONFLICT (name) DO UPDATE SET heartbeat_at = now(),"
                " expires_at = EXCLUDED.expires_at",
                (self.worker, socket.gethostname(), os.getpid(), self.lease),
            )
            rows = conn.execute(
                "UPDATE shards SET heartbeat_at = now(),"
                " expires_at = now() + make_interval(secs => %s)"
                " WHERE holder = %s AND expires_at > now() RETURNING shard, epoch",
                (self.lease, self.worker),
            ).fetchall()
            renewed = {int(shard): int(epoch) for shard, epoch in rows}
            lost = [s for s, e in self._held.items() if renewed.get(s) != e]
            self._held = renewed
            self._valid_until = asked + self.lease
        if lost:
            self._lost(lost)

    def _lost(self, shards: list[int]) -> None:
        self.log.emit(
            "shards_lost",
            worker=self.worker,
            shards=len(shards),
            detail="the lease ran out (this process was paused or cut off); "
            "another worker may hold them now, nothing is sent for them from here",
        )
        self.log.flush()

    # --------------------------------------------------------------- rebalancing
    def rebalance(
        self, *, force: bool = False, after_taking: Callable[[list[int]], object] | None = None
    ) -> list[int]:
        """From the work thread: give up shards past a fair share, take free ones up to it.

        A StoreError when the database cannot be reached (asked again at the next round)."""
        try:
            return self._rebalance(force=force, after_taking=after_taking)
        except psycopg.Error as exc:
            self._reconnect()
            raise StoreError(f"shard rebalance of {self.worker}: {exc}") from exc

    def _rebalance(
        self, *, force: bool, after_taking: Callable[[list[int]], object] | None
    ) -> list[int]:
        if not force and time.monotonic() - self._rebalanced < self.heartbeat:
            return []
        self._rebalanced = time.monotonic()
        asked = time.monotonic()
        with self._lock, self._transaction() as conn:
            # rows a frozen worker's transaction still locks: given up, taken at a later round
            # (the server ends that transaction), and the renewals never wait behind this one
            wait = max(int(self.heartbeat * 500), 1)
            conn.execute(f"SET LOCAL lock_timeout = {wait}")
            row = conn.execute("SELECT COUNT(*) FROM workers WHERE expires_at > now()").fetchone()
            share = math.ceil(SHARD_COUNT / max(int(row[0]) if row else 1, 1))
            if self._held and time.monotonic() >= self._valid_until:
                self._lost(list(self._held))  # lapsed here: whatever the database says
                self._held = {}
            held = sorted(self._held)
            given = held[share:]
            if given:
                for shard in given:  # not ours from now on, before the others can see it
                    self._held.pop(shard, None)
                conn.execute(
                    "UPDATE shards SET holder = NULL, expires_at = NULL"
                    " WHERE shard = ANY(%s) AND holder = %s",
                    (given, self.worker),
                )
            wanted = share - len(held)
            taken: dict[int, int] = {}
            if wanted > 0:
                free = conn.execute(
                    "SELECT shard, holder FROM shards"
                    " WHERE holder IS NULL OR expires_at IS NULL OR expires_at <= now()"
                    " ORDER BY shard LIMIT %s FOR UPDATE SKIP LOCKED",
                    (wanted,),
                ).fetchall()
                rows = conn.execute(
                    "UPDATE shards SET holder = %s, epoch = epoch + 1, heartbeat_at = now(),"
                    " expires_at = now() + make_interval(secs => %s)"
                    " WHERE shard = ANY(%s) RETURNING shard, epoch",
                    (self.worker, self.lease, [int(row[0]) for row in free]),
                ).fetchall()
                taken = {int(shard): int(epoch) for shard, epoch in rows}
                # A holder whose lease ran out may be frozen inside a transaction that
                # still locks rows of these shards: its sessions end now.
                lapsed = sorted({str(h) for _, h in free if h is not None and h != self.worker})
                if lapsed:
                    conn.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND application_name = ANY(%s)",
                        (lapsed,),
                    )
            if taken:
                self._fence_claims(conn, list(taken))
                # one deadline for all: the earlier of the renewal's and this one's
                until = asked + self.lease
                self._valid_until = min(self._valid_until, until) if self._held else until
                self._held.update(taken)
        if taken:
            self.log.emit("shards_taken", worker=self.worker, shards=len(taken), share=share)
            if after_taking is not None:
                after_taking(sorted(taken))
        if given:
            self.log.emit("shards_given", worker=self.worker, shards=len(given), share=share)
        return sorted(taken)

    def _fence_claims(self, conn: Connection, shards: list[int]) -> None:
        """Every claim in newly taken shards is fenced out (its epoch moves on).

        Rows whose work is a transaction here (enrollments, trigger state, inbox) are
        free at once: the old holder's writes fail on the epoch. A delivery another
        worker claimed may be in flight there: sent to a mail server just before that
        worker lost the database, its record waiting for the reconnect. Its claim
        keeps running for two shard leases more (never longer than it had), so a
        holder that comes back records the send instead of this worker repeating it;
        one that never comes back (kill -9) costs its claimed batch that wait. This
        worker's own claims from before it lost the shards are not in flight between
        rounds and are freed at once.
        """
        for table in CLAIMED_TABLES:
            if table == "deliveries":
                conn.execute(
                    "UPDATE deliveries SET claim_epoch = claim_epoch + 1,"
                    " claimed_by = CASE WHEN claimed_by = %s THEN NULL ELSE claimed_by END,"
                    " claim_expires_at = CASE WHEN claimed_by = %s THEN NULL"
                    " ELSE LEAST(claim_expires_at, now() + make_interval(secs => %s)) END"
                    " WHERE shard = ANY(%s) AND claimed_by IS NOT NULL",
                    (self.worker, self.worker, 2 * self.lease, shards),
                )
                continue
            conn.execute(
                f"UPDATE {table} SET claimed_by = NULL, claim_expires_at = NULL,"
                " claim_epoch = claim_epoch + 1"
                " WHERE shard = ANY(%s) AND claimed_by IS NOT NULL",
                (shards,),
            )

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        conn = self._connection()
        with conn.transaction():
            yield conn

    def _open(self) -> Connection:
        # frozen inside a transaction of its own, this process keeps no shard row locked
        return connect(self.url, session=WorkerSession(self.worker, self.heartbeat))

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed:
            self._reconnect()
        if self._conn is None:
            raise StoreError(f"cannot reach the database for the shard leases of {self.worker}")
        return self._conn

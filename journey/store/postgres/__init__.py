"""The state store on PostgreSQL (psycopg 3 and its pool), for workers that share one database.

connection.py   pool, transactions and savepoints, the store's identity
migrations.py   versioned schema, applied under an advisory lock
rows.py         PostgreSQL rows -> records
contacts.py     contacts and events
erasure.py      tombstones and VACUUM after an erasure
enrollments.py  enrollments, claims (FOR UPDATE SKIP LOCKED), fenced saves, step history
deliveries.py   deliveries: written before sending, claimed, fenced, marked, requeued
queues.py       the daemon's inbox: appended, claimed, removed under its leases
triggers.py     per-contact trigger state (claimed) and journey clocks (compare-and-set)
shared.py       what every worker shares: channel rate-limit buckets, the store's secrets
reports.py      the counts behind `journey status`
store.py        PostgresStore: the mixins together, plans, read-ahead, next due

One daemon per database is journey.daemon.pg_lock (a session advisory lock);
journey.store.copy moves a SQLite store in.
"""

from journey.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]

"""Workers for the concurrency tests: each opens its own store on the shared database.

Module-level functions, so spawned processes can import them. A worker claims
due deliveries in small batches, "sends" each (appends its key to its own
sent-file, standing for the channel) and marks it sent under the claim's
lease; a lost lease means the batch is dropped, never recorded twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from journey.records import LeaseLost
from tests.store.contract.backends import BACKENDS

LEASE = timedelta(hours=1)


def drain_deliveries(
    backend: str, tmp_path: Path, shared_name: str, worker: str, now: datetime, batch: int
) -> list[str]:
    """Claim, send and mark sent until nothing is due; the keys this worker sent."""
    store = BACKENDS[backend](tmp_path, shared_name)
    sent: list[str] = []
    channel = tmp_path / f"sent-{worker}.txt"
    try:
        with channel.open("a") as out:
            for _ in range(10_000):  # a deadline in claims: the work is finite
                claimed = store.claim_due_deliveries(
                    now, batch, worker=worker, lease_until=now + LEASE
                )
                if not claimed:
                    break
                for record in claimed:
                    out.write(record.delivery_key + "\n")
                out.flush()
                try:
                    store.mark_sent([(record, record.attempts + 1) for record in claimed], now)
                except LeaseLost:
                    continue
                sent += [record.delivery_key for record in claimed]
    finally:
        store.close()
    return sent


def drain_enrollments(
    backend: str, tmp_path: Path, shared_name: str, worker: str, now: datetime, batch: int
) -> list[str]:
    """Claim due enrollments and complete each (exit) under its lease; the ids completed."""
    from dataclasses import replace

    store = BACKENDS[backend](tmp_path, shared_name)
    done: list[str] = []
    try:
        for _ in range(10_000):
            claimed = store.claim_due_enrollments(
                now, batch, worker=worker, lease_until=now + LEASE
            )
            if not claimed:
                break
            with store.transaction():
                for enrollment in claimed:
                    store.save_enrollment(
                        replace(
                            enrollment,
                            status="exited",
                            exit_reason=f"done by {worker}",
                            exited_at=now,
                            due_at=None,
                        )
                    )
            done += [enrollment.id for enrollment in claimed]
    finally:
        store.close()
    return done


def sent_lines(tmp_path: Path) -> list[str]:
    """Every send any worker made (the channels' side), duplicates kept."""
    lines: list[str] = []
    for path in sorted(tmp_path.glob("sent-*.txt")):
        lines += path.read_text().split()
    return lines

"""Workers for the concurrency tests: each opens its own store on the shared database.

Module-level functions, so spawned processes can import them; a worker opens
the store's URL itself (`open_store`, as `journey run` does). A worker claims
due deliveries in small batches, "sends" each (appends its key to its own
sent-file, standing for the channel) and marks it sent under the claim's
lease; a lost lease means the batch is dropped, never recorded twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from journey.records import LeaseLost
from journey.store.url import open_store

LEASE = timedelta(hours=1)


def drain_deliveries(url: str, tmp_path: Path, worker: str, now: datetime, batch: int) -> list[str]:
    """Claim, send and mark sent until nothing is due; the keys this worker sent."""
    store = open_store(url)
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


def drain_enrollments(url: str, worker: str, now: datetime, batch: int) -> list[str]:
    """Claim due enrollments and complete each (exit) under its lease; the ids completed."""
    from dataclasses import replace

    store = open_store(url)
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

"""Benchmark: `journey run` end to end on the real clock.

1. Throughput and latency, outbox channel: a store with 100,000 contacts, an
   event-triggered journey whose first step is an immediate send. Events are
   accepted through the HTTP endpoint's path (the durable inbox) at a fixed
   offered rate by this process while the daemon runs as a subprocess;
   deliveries/s and event-to-send latency (accepted -> recorded sent) are read
   back from the store.
2. SMTP outage: a real aiosmtpd server on 127.0.0.1 goes away for 60 s mid-run
   and comes back; everything must be delivered, nothing dead-lettered.

    python -m bench.daemon [--contacts 100000] [--rate 2500] [--seconds 20]
                           [--outage 60] [--outage-events 2000] [--skip-outage]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from journey.daemon import inbox
from journey.model import Contact, Event
from journey.store.url import open_store
from tests.daemon.workspace_factory import make_workspace
from tests.support.smtp_server import SmtpTestServer

ROOT = Path(__file__).resolve().parents[1]

SINGLE_SEND = """\
id: welcome-test
name: Immediate welcome
kind: onboarding
trigger: { event: signed_up }
quiet_hours: false
frequency_cap: false
steps:
  - id: welcome
    send: { channel: email, template: test/welcome }
"""


def prepare(
    folder: Path, contacts: int, smtp_port: int | None = None, database: str | None = None
) -> Path:
    """A workspace with the single-send journey and `contacts` contacts in its store
    (the workspace's state.db, or `database`, a store URL)."""
    root = make_workspace(folder, smtp_port=smtp_port)
    (root / "journeys" / "welcome-test.yaml").write_text(SINGLE_SEND)
    store = open_store(database or root / "state.db")
    now = datetime.now(UTC)
    with store.transaction():
        for n in range(contacts):
            store.put_contact(
                Contact(
                    id=f"c{n:06d}",
                    email=f"c{n:06d}@bench.example",
                    created_at=now,
                    consent={"email": True},
                    attributes={"first_name": f"Name{n}"},
                )
            )
    store.close()
    return root


def start(root: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    """`journey run` as a subprocess logging JSON to `log`, once it has said `started`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("JOURNEY_TOKEN", None)
    command = [sys.executable, "-m", "journey", "--workspace", str(root), "run"]
    command += ["--tick", "0.1", "--log-format", "json", "--no-http", *extra]
    with log.open("ab") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=sink, env=env)
    deadline = time.monotonic() + 30
    while '"started"' not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    return process


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (Linux /proc); 0.0 where there is none.

    On a shared machine the daemon's CPU per delivery is steadier than its wall-clock rate.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def offer(root: Path, first: int, count: int, rate: float, database: str | None = None) -> float:
    """Accept `count` signed_up events at `rate`/s in 10 ms slices; returns the seconds taken."""
    store = open_store(database or root / "state.db")
    began = time.monotonic()
    sent = 0
    while sent < count:
        due = min(count, int((time.monotonic() - began) * rate) + 1)
        if due > sent:
            now = datetime.now(UTC)
            events = [
                Event(
                    id=f"e{n:06d}",
                    name="signed_up",
                    contact_id=f"c{n:06d}",
                    timestamp=now,
                    received_at=now,
                )
                for n in range(first + sent, first + due)
            ]
            inbox.enqueue_events(store, events, now)
            sent = due
        time.sleep(0.01)
    store.close()
    return time.monotonic() - began


def deliveries(root: Path) -> list[tuple[float, float]]:
    """(accepted, sent) instants of every sent delivery, in epoch seconds."""
    conn = sqlite3.connect(root / "state.db")
    rows = conn.execute(
        "SELECT e.received_at, d.sent_at FROM deliveries d JOIN events e"
        " ON e.contact_id = d.contact_id AND e.name = 'signed_up' WHERE d.status = 'sent'"
    ).fetchall()
    statuses = dict(conn.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status"))
    conn.close()
    stamp = datetime.fromisoformat
    pairs = [(stamp(a).timestamp(), stamp(b).timestamp()) for a, b in rows]
    print(f"  delivery statuses: {statuses}")
    return pairs


def wait_until(root: Path, total: int, timeout: float, status: str = "sent") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = sqlite3.connect(root / "state.db")
        (done,) = conn.execute(
            "SELECT COUNT(*) FROM deliveries WHERE status = ?", (status,)
        ).fetchone()
        conn.close()
        if done >= total:
            return
        time.sleep(0.25)


def stopped_transitions(log: Path) -> int:
    """The step transitions the daemon's `stopped` line reports (0 when it has none)."""
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if '"stopped"' in line:
            with contextlib.suppress(ValueError):
                return int(json.loads(line).get("transitions") or 0)
    return 0


def throughput(args: argparse.Namespace, folder: Path) -> dict[str, float]:
    print(f"throughput: {args.contacts:,} contacts, offered {args.rate}/s for {args.seconds} s")
    root = prepare(folder / "throughput", args.contacts)
    process = start(root, folder / "throughput.log")
    cpu_at_start = cpu_seconds(process.pid)
    total = min(args.contacts, int(args.rate * args.seconds))
    offered_for = offer(root, 0, total, args.rate)
    wait_until(root, total, timeout=120)
    daemon_cpu = cpu_seconds(process.pid) - cpu_at_start
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    transitions = stopped_transitions(folder / "throughput.log")
    pairs = deliveries(root)
    latencies = sorted(sent - accepted for accepted, sent in pairs)
    first_accept = min(a for a, _ in pairs)
    last_sent = max(s for _, s in pairs)
    result = {
        "events": float(total),
        "delivered": float(len(pairs)),
        "offered_seconds": offered_for,
        "deliveries_per_s": len(pairs) / (last_sent - first_accept),
        "p50_s": statistics.median(latencies),
        "p99_s": latencies[int(len(latencies) * 0.99) - 1],
        "max_s": latencies[-1],
        "daemon_cpu_ms_per_delivery": 1000 * daemon_cpu / max(1, len(pairs)),
        "transitions": float(transitions),
        # the whole run's CPU (start-up included) over the whole run's transitions
        "daemon_cpu_ms_per_transition": 1000 * daemon_cpu / max(1, transitions),
    }
    print(json.dumps(result, indent=2))
    return result


def outage(args: argparse.Namespace, folder: Path) -> dict[str, float]:
    print(f"SMTP outage: {args.outage_events} events, server down {args.outage} s mid-run")
    server = SmtpTestServer()
    server.start()
    root = prepare(folder / "outage", args.outage_events, smtp_port=server.port)
    process = start(root, folder / "outage.log")
    half = args.outage_events // 2
    offer(root, 0, half, 200)
    server.stop()
    down_at = time.monotonic()
    offer(root, half, args.outage_events - half, 200)
    time.sleep(max(0.0, args.outage - (time.monotonic() - down_at)))
    server.start()
    back_at = time.monotonic()
    wait_until(root, args.outage_events, timeout=args.outage * 4 + 120)
    drained = time.monotonic() - back_at
    time.sleep(1)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    server.stop()
    pairs = deliveries(root)
    conn = sqlite3.connect(root / "state.db")
    (dead,) = conn.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'dead'").fetchone()
    (retried,) = conn.execute("SELECT COUNT(*) FROM deliveries WHERE attempts > 1").fetchone()
    conn.close()
    ids = server.message_ids()
    result = {
        "events": float(args.outage_events),
        "delivered": float(len(pairs)),
        "received_by_server": float(len(ids)),
        "distinct_message_ids": float(len(set(ids))),
        "retried": float(retried),
        "dead": float(dead),
        "drained_after_return_s": drained,
    }
    print(json.dumps(result, indent=2))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=2500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--outage-events", type=int, default=2000)
    parser.add_argument("--skip-outage", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        throughput(args, folder)
        if not args.skip_outage:
            outage(args, folder)


if __name__ == "__main__":
    main()

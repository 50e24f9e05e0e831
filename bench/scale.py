"""Benchmark: the same workload on SQLite (one daemon) and on PostgreSQL with 1, 2 and 4 workers.

Each configuration gets a fresh store holding `--contacts` contacts and the
single-send journey of bench.daemon (an event-triggered immediate email to the
outbox). `journey run` processes start on it (one on SQLite; on PostgreSQL N
workers sharing a per-run database on 127.0.0.1:5432, created and dropped here),
and once the workers hold a fair share of the shards each, this process accepts
`signed_up` events into the inbox at `--rate` per second for `--seconds`. It
reports, per configuration, in one run:

- deliveries/s (delivered / first accepted -> last sent) and event-to-send
  latency p50 / p99 (accepted -> recorded as sent), read back from the store;
- the workers' CPU per delivery (user + system from /proc of each worker), and
  how many deliveries each worker sent (its `sent` log lines);
- the database's CPU: the backends of the run's database (sampled from /proc,
  found in pg_stat_activity; the event feeder's own session counted apart as
  ingest), and the server's WAL writer, checkpointer and background writer,
  which serve every database of the server (other jobs' included);
- ratios against the SQLite one-daemon baseline of the same run.

    python -m bench.scale [--contacts 20000] [--rate 800] [--seconds 10]
                          [--workers 1 2 4] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.daemon import cpu_seconds, deliveries, offer, prepare, start
from journey.shards import SHARD_COUNT
from journey.store.url import is_postgres, open_store
from tests.support.backends import PostgresBackend

JOURNEY_ID = "welcome-test"
FEEDER = "bench-scale-feeder"  # application_name of this process's session that offers events
SERVER_HELPERS = ("walwriter", "checkpointer", "background writer")


# ---------------------------------------------------------------- reading back


def sent_count(database: str) -> int:
    store = open_store(database)
    try:
        return store.journey_counts(JOURNEY_ID).deliveries.get("sent", 0)
    finally:
        store.close()


def wait_until_sent(database: str, total: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and sent_count(database) < total:
        time.sleep(0.25)


def postgres_instants(database: str) -> list[tuple[float, float]]:
    """(accepted, sent) of every sent delivery, in epoch seconds (bench.daemon's, on PostgreSQL)."""
    import psycopg

    with psycopg.connect(database) as conn:
        rows = conn.execute(
            "SELECT e.received_at, d.sent_at FROM deliveries d JOIN events e"
            " ON e.contact_id = d.contact_id AND e.name = 'signed_up' WHERE d.status = 'sent'"
        ).fetchall()
    return [(accepted.timestamp(), sent.timestamp()) for accepted, sent in rows]


def outbox_keys(root: Path) -> list[str]:
    path = root / "outbox.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line)["delivery_key"] for line in lines if line]


def sent_lines(log: Path) -> int:
    return log.read_text(errors="replace").count('"event": "sent"')


# ---------------------------------------------------------------- the database's CPU


class BackendCpu:
    """CPU of PostgreSQL's processes during a run, sampled from /proc every half second.

    A backend that ends between two samples keeps the CPU of its last sample."""

    def __init__(self, admin_url: str, database: str) -> None:
        import psycopg

        self.conn = psycopg.connect(admin_url, autocommit=True)
        self.database = database
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.kind: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="backend-cpu", daemon=True)

    def _processes(self) -> dict[int, str]:
        rows = self.conn.execute(
            "SELECT pid, datname, application_name FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND (datname = %s OR backend_type = ANY(%s))",
            (self.database, list(SERVER_HELPERS)),
        ).fetchall()
        kinds = {}
        for pid, datname, application in rows:
            if datname != self.database:
                kinds[int(pid)] = "server"
            else:
                kinds[int(pid)] = "ingest" if application == FEEDER else "workers"
        return kinds

    def sample(self, *, starting: bool = False) -> None:
        for pid, kind in self._processes().items():
            used = cpu_seconds(pid)
            if pid not in self.first:
                self.first[pid] = used if starting else 0.0
            self.last[pid] = used
            self.kind[pid] = kind

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def start(self) -> None:
        self.sample(starting=True)
        self._thread.start()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self.sample()
        self.conn.close()
        totals = Counter[str]()
        for pid, used in self.last.items():
            totals[self.kind[pid]] += used - self.first[pid]
        return {kind: totals.get(kind, 0.0) for kind in ("workers", "ingest", "server")}


# ---------------------------------------------------------------- one configuration


@contextmanager
def workers_running(
    root: Path, folder: Path, count: int, database: str | None
) -> Iterator[list[tuple[subprocess.Popen[bytes], Path]]]:
    extra = ("--database", database) if database else ()
    running: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for number in range(count):
            log = folder / f"worker-{number}.log"
            running.append((start(root, log, *extra), log))
        yield running
    finally:
        for process, _ in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in running:
            process.wait(timeout=60)


def shard_holders(database: str) -> Counter[str]:
    import psycopg

    with psycopg.connect(database) as conn:
        rows = conn.execute(
            "SELECT holder FROM shards WHERE holder IS NOT NULL AND expires_at > now()"
        ).fetchall()
    return Counter(str(holder) for (holder,) in rows)


def until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench.scale: {what} not reached within {seconds:.0f} s")
        time.sleep(0.2)


def balanced(database: str, count: int) -> Callable[[], bool]:
    share = -(-SHARD_COUNT // count)

    def check() -> bool:
        holders = shard_holders(database)
        return len(holders) == count and max(holders.values()) <= share

    return check


def measure(
    args: argparse.Namespace, folder: Path, workers: int, database: str | None
) -> dict[str, Any]:
    name = f"postgresql, {workers} worker{'s' if workers > 1 else ''}" if database else "sqlite"
    print(f"{name}: {args.contacts:,} contacts, offered {args.rate:g}/s for {args.seconds:g} s")
    folder.mkdir(parents=True)
    root = prepare(folder / "ws", args.contacts, database=database)
    store_url = database or str(root / "state.db")
    total = min(args.contacts, int(args.rate * args.seconds))
    sampler: BackendCpu | None = None
    with workers_running(root, folder, workers, database) as running:
        if database:
            until(balanced(database, workers), 90, f"{workers} workers sharing the shards")
            sampler = BackendCpu(args.admin_url, database.rsplit("/", 1)[1])
            sampler.start()
        cpu_at_start = [cpu_seconds(process.pid) for process, _ in running]
        feeder = f"{database}?application_name={FEEDER}" if database else None
        offered_for = offer(root, 0, total, args.rate, database=feeder)
        wait_until_sent(store_url, total, timeout=args.timeout)
        worker_cpu = [
            cpu_seconds(p.pid) - at for (p, _), at in zip(running, cpu_at_start, strict=True)
        ]
        database_cpu = sampler.stop() if sampler else {"workers": 0.0, "ingest": 0.0, "server": 0.0}
        holders = shard_holders(database) if database else Counter({"daemon": SHARD_COUNT})
    pairs = postgres_instants(database) if database else deliveries(root)
    keys = outbox_keys(root)
    latencies = sorted(sent - accepted for accepted, sent in pairs) or [0.0]
    span = max(s for _, s in pairs) - min(a for a, _ in pairs) if pairs else 0.0
    delivered = len(pairs)
    per_worker = [sent_lines(log) for _, log in running]
    result: dict[str, Any] = {
        "configuration": name,
        "backend": "postgresql" if database else "sqlite",
        "workers": workers,
        "events": total,
        "delivered": delivered,
        "outbox_lines": len(keys),
        "each_key_once": len(keys) == len(set(keys)) == delivered,
        "offered_seconds": round(offered_for, 3),
        "deliveries_per_s": round(delivered / span, 1) if span else 0.0,
        "p50_s": round(statistics.median(latencies), 4),
        "p99_s": round(latencies[max(int(len(latencies) * 0.99) - 1, 0)], 4),
        "shards_per_worker": sorted(holders.values(), reverse=True),
        "sent_per_worker": per_worker,
        "worker_cpu_s": [round(c, 3) for c in worker_cpu],
        "worker_cpu_ms_per_delivery": [
            round(1000 * c / n, 3) if n else None
            for c, n in zip(worker_cpu, per_worker, strict=True)
        ],
        "workers_cpu_ms_per_delivery": round(1000 * sum(worker_cpu) / max(delivered, 1), 3),
        "database_cpu_s": round(database_cpu["workers"], 3),
        "database_cpu_ms_per_delivery": round(
            1000 * database_cpu["workers"] / max(delivered, 1), 3
        ),
        "ingest_database_cpu_s": round(database_cpu["ingest"], 3),
        "server_helpers_cpu_s": round(database_cpu["server"], 3),
    }
    result["total_cpu_ms_per_delivery"] = round(
        result["workers_cpu_ms_per_delivery"] + result["database_cpu_ms_per_delivery"], 3
    )
    return result


# ---------------------------------------------------------------- the report

RATIOS = (
    "deliveries_per_s",
    "p50_s",
    "p99_s",
    "workers_cpu_ms_per_delivery",
    "total_cpu_ms_per_delivery",
)
COLUMNS = (
    ("configuration", "configuration", "{}"),
    ("delivered", "delivered", "{:,}"),
    ("once", "each_key_once", "{}"),
    ("deliveries/s", "deliveries_per_s", "{:,.0f}"),
    ("p50 s", "p50_s", "{:.3f}"),
    ("p99 s", "p99_s", "{:.3f}"),
    ("worker CPU ms/delivery", "workers_cpu_ms_per_delivery", "{:.2f}"),
    ("database CPU ms/delivery", "database_cpu_ms_per_delivery", "{:.2f}"),
    ("total ms/delivery", "total_cpu_ms_per_delivery", "{:.2f}"),
    ("rate ratio", "ratio_deliveries_per_s", "{:.2f}"),
    ("p99 ratio", "ratio_p99_s", "{:.2f}"),
    ("total CPU ratio", "ratio_total_cpu_ms_per_delivery", "{:.2f}"),
)


def with_ratios(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    baseline = results[0]
    for result in results:
        for key in RATIOS:
            base = baseline[key]
            result[f"ratio_{key}"] = round(result[key] / base, 3) if base else None
    return results


def table(results: list[dict[str, Any]]) -> str:
    def cell(result: dict[str, Any], key: str, fmt: str) -> str:
        value = result.get(key)
        return "-" if value is None else fmt.format(value)

    header = "| " + " | ".join(title for title, _, _ in COLUMNS) + " |"
    rule = "|" + "|".join(" --- " for _ in COLUMNS) + "|"
    rows = [
        "| " + " | ".join(cell(result, key, fmt) for _, key, fmt in COLUMNS) + " |"
        for result in results
    ]
    per_worker = [
        f"  {r['configuration']}: shards {r['shards_per_worker']}, sent {r['sent_per_worker']}, "
        f"CPU ms/delivery {r['worker_cpu_ms_per_delivery']}; database CPU {r['database_cpu_s']} s"
        f" (ingest session {r['ingest_database_cpu_s']} s, server helpers "
        f"{r['server_helpers_cpu_s']} s)"
        for r in results
    ]
    return "\n".join([header, rule, *rows, "", "per worker:", *per_worker])


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` shows them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=800.0, help="events offered per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of offered events")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--timeout", type=float, default=300.0, help="to deliver, per run")
    parser.add_argument("--admin-url", default=PostgresBackend().admin_url)
    parser.add_argument("--json-out", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    began_load = load_average()
    backend = PostgresBackend(args.admin_url)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        try:
            results.append(measure(args, folder / "sqlite", 1, None))
            for workers in args.workers:
                database = backend.url(folder, f"scale{workers}")
                assert is_postgres(database)
                results.append(measure(args, folder / f"pg{workers}", workers, database))
        finally:
            backend.close()
    report = {
        "contacts": args.contacts,
        "offered_rate": args.rate,
        "offered_seconds": args.seconds,
        "load_average_before": began_load,
        "load_average_after": load_average(),
        "results": with_ratios(results),
    }
    print(table(results))
    print(
        f"load average before {report['load_average_before']}, after {report['load_average_after']}"
    )
    text = json.dumps(report, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Kill -9 a real `journey run` at random moments, restart it, and count what arrived.

Shared by the short test in the suite and the long run in `python -m bench.killtest`.
The daemon is a subprocess (`python -m journey run`) delivering over SMTP to a
real aiosmtpd server in this process, so the server's record survives the kills.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from journey.daemon import inbox
from journey.ingest import parse_event
from journey.store.sqlite import SQLiteStore
from tests.daemon.workspace_factory import contacts, make_workspace, signups
from tests.support.smtp_server import SmtpTestServer

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CrashReport:
    contacts: int
    kills: int
    expected: int
    delivered: int  # distinct expected messages that arrived
    missing: int
    duplicates: int  # extra copies, recognisable by their Message-ID
    distinct_ids: int  # Message-IDs seen; equals `expected` when every copy kept its id
    seconds: float


def daemon_command(root: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "journey", "--workspace", str(root),
        "run", "--tick", "0.2", "--log-format", "json", "--no-http", *extra,
    ]  # fmt: skip


def start_daemon(root: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("JOURNEY_TOKEN", None)
    with log.open("ab") as sink:
        return subprocess.Popen(daemon_command(root), stdout=sink, stderr=sink, env=env)


def wait_for_log(log: Path, needle: str, start: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in log.read_text(errors="replace")[start:]:
            return True
        time.sleep(0.02)
    return False


def seed(root: Path, count: int) -> None:
    """Contacts and their signed_up events, waiting in the daemon's inbox."""
    store = SQLiteStore(root / "state.db")
    now = datetime.now(UTC)
    people = contacts(count)
    inbox.enqueue_contacts(store, people, now)
    records = signups([str(p["id"]) for p in people], now.isoformat())
    inbox.enqueue_events(store, [parse_event(r, received_at=now) for r in records], now)
    store.close()


def expected_messages(count: int) -> set[tuple[str, str]]:
    """(recipient, subject) of every message the journey owes: welcome and followup."""
    found = set()
    for person in contacts(count):
        found.add((str(person["email"]), f"Welcome, {person['first_name']}"))
        found.add((str(person["email"]), "Next"))
    return found


def run_crash_test(
    workdir: Path, *, count: int, kills: int, seed_value: int = 7, timeout: float = 120.0
) -> CrashReport:
    started = time.monotonic()
    rng = random.Random(seed_value)
    server = SmtpTestServer()
    server.start()
    try:
        root = make_workspace(workdir / "ws", smtp_port=server.port, wait="1s")
        seed(root, count)
        log = workdir / "daemon.log"
        log.touch()
        expected = expected_messages(count)
        done = 0
        while done < kills:
            mark = log.stat().st_size
            process = start_daemon(root, log)
            assert wait_for_log(log, '"started"', mark, 30), log.read_text()[-2000:]
            time.sleep(rng.uniform(0.0, 0.4))
            process.send_signal(signal.SIGKILL)
            process.wait()
            done += 1
            if _arrived(server, expected) == expected:
                break  # finished before we could kill it again
        mark = log.stat().st_size
        process = start_daemon(root, log)
        # a SIGTERM before the process has even set up its handlers would kill it outright
        assert wait_for_log(log, '"started"', mark, 30), log.read_text()[-2000:]
        deadline = time.monotonic() + timeout
        while _arrived(server, expected) != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)  # a duplicate still in flight would land now
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=15)
        assert status == 0, f"exit {status}: " + log.read_text()[-1500:]
        ids = Counter(server.message_ids())
        arrived = _arrived(server, expected)
        return CrashReport(
            contacts=count,
            kills=done,
            expected=len(expected),
            delivered=len(arrived),
            missing=len(expected - arrived),
            duplicates=sum(n - 1 for n in ids.values()),
            distinct_ids=len(ids),
            seconds=time.monotonic() - started,
        )
    finally:
        server.stop()


def _arrived(server: SmtpTestServer, expected: set[tuple[str, str]]) -> set[tuple[str, str]]:
    got = {(mail.rcpt_tos[0], str(mail.message["Subject"])) for mail in server.received}
    return got & expected

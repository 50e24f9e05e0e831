"""Two shells, one workspace, one timeline: what `journey test` does and what `journey run` does.

The test shell is the one `journey test` and `simulate` use (journey.assembly.virtual_shell
driven by journey.engine.timeline.run_until); the daemon shell is the real
`journey.daemon.Daemon`, ticked on a virtual clock as `journey run --demo` does.
Both get the same channels — in-memory ones that fail the same deliveries the
same number of times — so the only difference left is the shell. `snapshot`
reads what each left in its SQLite file: enrollments, step history, deliveries
and the events (outcome events included).
"""

from __future__ import annotations

import shutil
import sqlite3
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from journey.assembly import VirtualRun, valid_plans, virtual_shell, workspace_renderer
from journey.assembly import workspace_settings as settings_of
from journey.channels.base import WebhookRequest
from journey.channels.memory import FailureRule, MemoryChannels
from journey.clock import VirtualClock
from journey.daemon import inbox
from journey.daemon.service import Daemon, DaemonOptions
from journey.engine.timeline import run_until
from journey.errors import DeliveryError
from journey.ingest import parse_event
from journey.model import Message
from journey.store.url import open_store
from journey.workspace import load_workspace

REPO = Path(__file__).resolve().parents[2]
IDLE_STEP = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Timed:
    """One input: a contact record or an event record, arriving at `at`."""

    at: datetime
    kind: str  # contact | event
    record: Mapping[str, Any]


class Flaky:
    """Fails a delivery `times` times (transiently) when its key hashes into `share`, or for
    good when `permanent`; a fresh one per shell, so both see the same failures."""

    def __init__(self, *, share: int, times: int = 2, permanent: bool = False) -> None:
        self.share = share
        self.times = times
        self.permanent = permanent
        self.seen: dict[str, int] = {}

    def __call__(self, item: Message | WebhookRequest) -> DeliveryError | None:
        key = item.delivery_key
        if zlib.crc32(key.encode()) % self.share:
            return None
        if self.permanent:
            return DeliveryError("the peer refused it", permanent=True)
        self.seen[key] = self.seen.get(key, 0) + 1
        if self.seen[key] > self.times:
            return None
        return DeliveryError("the peer is away", permanent=False)


def failing_channels(clock: VirtualClock) -> MemoryChannels:
    rules: dict[str, FailureRule] = {
        "sms": Flaky(share=2, times=2),  # retried, then sent
        "push": Flaky(share=5, times=20),  # retried until parked
        "crm": Flaky(share=3, permanent=True),  # dead: journey.failed, on_failure
    }
    return MemoryChannels(clock.now, fail=rules)


def corpus_workspace(root: Path, extra: Mapping[str, str] | None = None) -> Path:
    """This repository's workspace (the example journeys, templates, catalogs) plus `extra`."""
    root.mkdir(parents=True, exist_ok=True)
    text = (REPO / "workspace.yaml").read_text(encoding="utf-8")
    (root / "workspace.yaml").write_text(text + '\ndatabase: "state.db"\n', encoding="utf-8")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "locales", root / "locales")
    journeys = root / "journeys"
    journeys.mkdir()
    for path in sorted((REPO / "journeys" / "examples").glob("*.yaml")):
        if not path.name.endswith(".test.yaml"):
            shutil.copy(path, journeys / path.name)
    for name, source in (extra or {}).items():
        (journeys / f"{name}.yaml").write_text(source, encoding="utf-8")
    return root


def run_test_shell(root: Path, inputs: Iterable[Timed], start: datetime, end: datetime) -> Path:
    """The shell of `journey test` / `simulate` over a file store."""
    workspace, _ = load_workspace(root)
    plans, broken = valid_plans(root)
    assert not broken, broken
    database = root / "test-shell.db"
    clock = VirtualClock(start)
    store = open_store(database)
    shell = virtual_shell(
        plans,
        clock,
        VirtualRun(renderer=workspace_renderer(workspace), settings=settings_of(workspace)),
        store=store,
        channels=failing_channels(clock),
    )
    try:
        shell.runner.activate(start)
        for item in sorted(inputs, key=lambda i: i.at):
            run_until(shell, clock, item.at, inclusive=False)
            clock.advance_to(item.at)
            if item.kind == "event":
                shell.runner.handle_event(parse_event(dict(item.record), received_at=item.at))
            else:
                shell.runner.upsert_contact(item.record, item.at)
        run_until(shell, clock, end)
    finally:
        store.close()
    return database


def run_daemon_shell(root: Path, inputs: Iterable[Timed], start: datetime, end: datetime) -> Path:
    """The real daemon on a virtual clock; inputs arrive through its inbox, as over HTTP."""
    database = root / "daemon-shell.db"
    clock = VirtualClock(start)
    daemon = Daemon(
        DaemonOptions(
            root=root,
            database=database,
            logs=False,
            env={},
            tick_budget_seconds=3600.0,
            outbox=root / "outbox.jsonl",
        ),
        clock=clock,
    )
    daemon.open()
    daemon.worker.channels = failing_channels(clock)
    pending = sorted(inputs, key=lambda i: i.at)
    try:
        while True:
            now = clock.now()
            while pending and pending[0].at <= now:
                item = pending.pop(0)
                if item.kind == "event":
                    event = parse_event(dict(item.record), received_at=item.at)
                    inbox.enqueue_events(daemon.store, [event], now)
                else:
                    inbox.enqueue_contacts(daemon.store, [item.record], now)
            daemon.tick()
            if now >= end:
                break
            moments = [end]
            if pending:
                moments.append(pending[0].at)
            due = daemon.shell.next_due_at()
            if due is not None:
                moments.append(max(due, now + IDLE_STEP) if due <= now else due)
            clock.advance_to(min(moments))
    finally:
        daemon.close()
    return database


_TABLES = {
    "enrollments": (
        "id, journey_id, contact_id, plan_hash, status, step_id, step_entered_at, due_at,"
        " entered_at, entry, split_arm, exit_reason, exited_at, converted_at, state"
    ),
    "step_history": "enrollment_id, journey_id, contact_id, step_id, outcome, at, detail",
    "deliveries": (
        "delivery_key, enrollment_id, journey_id, step_id, contact_id, channel, kind, category,"
        " status, attempts, created_at, next_attempt_at, last_error, sent_at"
    ),
    "events": "id, contact_id, name, timestamp, received_at, properties",
    "contacts": "id, email, phone, locale, timezone, consent, attributes",
}


def snapshot(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What a shell left behind, in an order that does not depend on write order."""
    conn = sqlite3.connect(database)
    try:
        return {
            table: sorted(
                conn.execute(f"SELECT {columns} FROM {table}").fetchall(),
                key=lambda row: tuple("" if v is None else str(v) for v in row),
            )
            for table, columns in _TABLES.items()
        }
    finally:
        conn.close()


def entered(snap: Mapping[str, list[tuple[Any, ...]]], journey_id: str) -> set[str]:
    """Contacts that entered `journey_id`."""
    return {row[2] for row in snap["enrollments"] if row[1] == journey_id}

"""A daemon in this process on a virtual clock, over a workspace in tmp_path."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from journey.channels.retry import RetryPolicy  # noqa: E402
from journey.clock import VirtualClock  # noqa: E402
from journey.daemon import inbox  # noqa: E402
from journey.daemon.service import Daemon, DaemonOptions  # noqa: E402
from journey.ingest import parse_event  # noqa: E402
from tests.daemon.workspace_factory import contacts, signups  # noqa: E402

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class DaemonHarness:
    def __init__(self, root: Path, clock: VirtualClock) -> None:
        self.root = root
        self.clock = clock
        self.stream = io.StringIO()
        self.daemon = Daemon(
            DaemonOptions(
                root=root,
                log_format="json",
                env={"JOURNEY_SECRET": "test-secret"},
                retry=RetryPolicy(base=timedelta(seconds=30), max_attempts=4),
            ),
            clock=clock,
            stream=self.stream,
        )
        self.daemon.open()

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.daemon.store

    def signup(self, count: int, *, first: int = 0) -> list[str]:
        people = contacts(first + count)[first:]
        now = self.clock.now()
        inbox.enqueue_contacts(self.store, people, now)
        events = [
            parse_event(r, received_at=now)
            for r in signups([str(p["id"]) for p in people], now.isoformat())
        ]
        inbox.enqueue_events(self.store, events, now)
        return [str(p["id"]) for p in people]

    def run_for(self, seconds: float, step: float = 1.0) -> None:
        """Advance the virtual clock in steps, ticking at each."""
        end = self.clock.now() + timedelta(seconds=seconds)
        self.daemon.tick()
        while self.clock.now() < end:
            self.clock.advance(timedelta(seconds=step))
            self.daemon.tick()

    def logs(self, event: str) -> list[str]:
        return [line for line in self.stream.getvalue().splitlines() if f'"{event}"' in line]

    def close(self) -> None:
        self.daemon.close()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def harness_factory(
    clock: VirtualClock,
) -> Iterator[Callable[[Path], DaemonHarness]]:
    made: list[DaemonHarness] = []

    def make(root: Path) -> DaemonHarness:
        harness = DaemonHarness(root, clock)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()

"""A daemon that was down catches up a missed schedule once: no burst, no silent skip."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from journey.channels import read_outbox
from journey.clock import VirtualClock
from tests.daemon.conftest import DaemonHarness
from tests.daemon.workspace_factory import contacts, make_workspace

HOURLY = """\
id: hourly-test
name: Hourly digest
kind: engagement
trigger: { schedule: { cron: "0 * * * *" } }
audience: "contact.email != none"
quiet_hours: false
frequency_cap: false
steps:
  - id: digest
    send: { channel: email, template: test/followup }
"""


def test_five_missed_hourly_fires_are_caught_up_exactly_once(
    tmp_path: Path, clock: VirtualClock, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws")
    (root / "journeys" / "welcome-test.yaml").unlink()
    (root / "journeys" / "hourly-test.yaml").write_text(HOURLY)
    outbox = root / "outbox.jsonl"
    first = harness_factory(root)
    first.store.enqueue([("contact", person) for person in contacts(3)], clock.now())
    first.run_for(3600, step=300)  # 10:00 -> 11:00: one fire
    assert len(list(read_outbox(outbox))) == 3
    first.close()

    clock.advance(timedelta(hours=5, minutes=30))  # down over 12:00 ... 16:00
    second = harness_factory(root)
    second.run_for(0)
    assert len(list(read_outbox(outbox))) == 6  # one catch-up, not five
    second.run_for(20 * 60, step=300)  # 16:30 -> 16:50: nothing more
    assert len(list(read_outbox(outbox))) == 6
    second.run_for(15 * 60, step=300)  # 17:00 fires as usual
    assert len(list(read_outbox(outbox))) == 9

"""Every kind of log line the daemon writes is in the metrics catalogue: its series starts at 0."""

from __future__ import annotations

import re
from pathlib import Path

from journey.daemon.metrics import DELIVERY_OUTCOMES, STATE_CHANGES
from journey.daemon.service import _HAPPENING_LOG

PACKAGE = Path(__file__).resolve().parents[2] / "journey"


def test_every_emitted_kind_is_catalogued() -> None:
    emitted = set()
    for path in (PACKAGE / "daemon").rglob("*.py"):
        emitted |= set(re.findall(r'\.emit\(\s*"([a-z_]+)"', path.read_text()))
    emitted |= set(_HAPPENING_LOG.values()) | set(DELIVERY_OUTCOMES)  # emitted by variable
    assert emitted >= {"sent", "dead", "invalid", "error", "reload"}  # the scan found them
    assert emitted - set(STATE_CHANGES) == set()

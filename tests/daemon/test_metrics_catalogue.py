"""Every kind of log line the daemon (and its shell) writes is in the metrics catalogue: from 0."""

from __future__ import annotations

import re
from pathlib import Path

from journey.daemon.logs import _HAPPENING_LOG
from journey.daemon.metrics import DELIVERY_OUTCOMES, STATE_CHANGES

PACKAGE = Path(__file__).resolve().parents[2] / "journey"


def test_every_emitted_kind_is_catalogued() -> None:
    emitted = set()
    for path in [*(PACKAGE / "daemon").rglob("*.py"), *(PACKAGE / "engine").rglob("*.py")]:
        emitted |= set(re.findall(r'\.emit\(\s*"([a-z_]+)"', path.read_text()))
    emitted |= set(_HAPPENING_LOG.values()) | set(DELIVERY_OUTCOMES)  # emitted by variable
    assert emitted >= {"sent", "dead", "invalid", "error", "reload"}  # the scan found them
    assert emitted - set(STATE_CHANGES) == set()

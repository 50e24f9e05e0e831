"""Fixtures for channel tests: real SMTP and HTTP peers on 127.0.0.1, a pinned clock."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

# `tests.support` must import under plain `pytest` too, not only `python -m pytest`.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from journey.clock import VirtualClock  # noqa: E402
from journey.model import Message  # noqa: E402
from tests.support.http_server import HttpTestServer, running_http_server  # noqa: E402
from tests.support.smtp_server import SmtpTestServer, running_smtp_server  # noqa: E402

NOW = datetime(2026, 3, 29, 7, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def http_server() -> Iterator[HttpTestServer]:
    with running_http_server() as server:
        yield server


@pytest.fixture
def make_message() -> Callable[..., Message]:
    def make(**overrides: Any) -> Message:
        fields: dict[str, Any] = {
            "delivery_key": "enr-1:welcome:0",
            "channel": "email",
            "message": "email",
            "to": "astrid@example.com",
            "locale": "sv",
            "subject": "Välkommen, Astrid!",
            "text": "Hej Astrid,\nvälkommen ombord.",
            "html": "<p>Hej <b>Astrid</b>, välkommen ombord.</p>",
            "journey_id": "onboarding-welcome",
            "step_id": "welcome",
            "contact_id": "c-1042",
        }
        fields.update(overrides)
        return Message(**fields)

    return make

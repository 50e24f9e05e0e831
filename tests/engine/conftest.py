"""The `world` fixture: a real SQLite store, a virtual clock, a memory sink."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# `tests.engine` must import under plain `pytest` too, not only `python -m pytest`.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from journey.localtime import parse_instant  # noqa: E402
from tests.engine.engine_world import World  # noqa: E402


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path, parse_instant("2026-03-02T08:00:00Z"))  # a Monday

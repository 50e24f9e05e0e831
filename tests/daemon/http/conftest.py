"""The `api` fixture: a live server with a small body limit, stopped after the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from journey.assembly import VirtualRun, virtual_shell
from journey.clock import VirtualClock
from journey.engine.context import EngineSettings
from journey.store.sqlite import SQLiteStore
from tests.daemon.http.live_api import (
    NOW,
    Api,
    NoRenderer,
    runner_handlers,
    start,
    stop,
    welcome_plan,
)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = SQLiteStore(tmp_path / "state.db")
    runner = virtual_shell(
        {"welcome": welcome_plan()},
        VirtualClock(NOW),
        VirtualRun(renderer=NoRenderer(), settings=EngineSettings()),
        store=store,
    ).runner
    server = start(runner_handlers(runner, store), max_body_bytes=4096)
    yield Api(server=server, store=store, runner=runner)
    stop(server, store)

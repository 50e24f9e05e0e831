"""The `api` fixture: a live server with a small body limit, stopped after the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from journey.clock import VirtualClock
from journey.engine.context import EngineSettings
from journey.engine.perform import MemorySink
from journey.engine.runner import Runner
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
    runner = Runner(
        store,
        {"welcome": welcome_plan()},
        NoRenderer(),
        VirtualClock(NOW),
        MemorySink(),
        EngineSettings(),
    )
    server = start(runner_handlers(runner, store), max_body_bytes=4096)
    yield Api(server=server, store=store, runner=runner)
    stop(server, store)

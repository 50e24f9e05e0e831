"""`store` and `backend` for the store tests: each test runs once per backend in BACKENDS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from journey.store.abc import StateStore
from tests.support.backends import BACKENDS, Backend


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    made = BACKENDS[request.param]()
    yield made
    made.close()


@pytest.fixture
def store(backend: Backend, tmp_path: Path) -> StateStore:
    return backend.open(tmp_path, "state")

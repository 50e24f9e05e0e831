"""One fixture, parametrized over every backend in BACKENDS: the suite runs unchanged on each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from journey.store.abc import StateStore
from tests.store.contract.backends import BACKENDS


class OpenStores:
    """Opens stores of one backend for one test (same name, same database); closes them after."""

    def __init__(self, backend: str, tmp_path: Path) -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self._opened: list[StateStore] = []

    def __call__(self, shared_name: str = "main") -> StateStore:
        store = BACKENDS[self.backend](self.tmp_path, shared_name)
        self._opened.append(store)
        return store

    def close(self) -> None:
        for store in self._opened:
            store.close()


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_factory(backend: str, tmp_path: Path) -> Iterator[OpenStores]:
    stores = OpenStores(backend, tmp_path)
    yield stores
    stores.close()


@pytest.fixture
def store(store_factory: OpenStores) -> StateStore:
    return store_factory()

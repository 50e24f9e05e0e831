"""The contract suite runs unchanged on every backend of tests/support/backends.py.

`backend` (one per registered backend) and its clean-up come from
tests/store/conftest.py; `store_factory` opens stores on it for one test, the
same name reaching the same database (a second worker), and names the URL a
worker in another process opens.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from journey.store.abc import StateStore
from tests.support.backends import Backend


class OpenStores:
    """Opens stores of one backend for one test; the backend closes them when the test ends."""

    def __init__(self, backend: Backend, tmp_path: Path) -> None:
        self.backend = backend
        self.tmp_path = tmp_path

    def __call__(self, shared_name: str = "main") -> StateStore:
        return self.backend.open(self.tmp_path, shared_name)

    def url(self, shared_name: str = "main") -> str:
        """Where the database of `shared_name` is, for a worker that opens it itself."""
        return self.backend.url(self.tmp_path, shared_name)


@pytest.fixture
def store_factory(backend: Backend, tmp_path: Path) -> OpenStores:
    return OpenStores(backend, tmp_path)


@pytest.fixture
def store(store_factory: OpenStores) -> StateStore:
    return store_factory()

"""One build of the example journeys, shared by the unit and the browser tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from journey.site import SiteReport, build_site

ROOT = Path(__file__).resolve().parents[2]
BUILT_AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> SiteReport:
    out = tmp_path_factory.mktemp("site")
    return build_site(ROOT, out, [ROOT / "journeys" / "examples"], now=BUILT_AT, population=60)

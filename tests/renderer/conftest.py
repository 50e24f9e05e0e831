"""Shared fixtures: a renderer over the small fixture workspace in data/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from journey.model import Contact
from journey.renderer import Renderer

DATA = Path(__file__).parent / "data"
TEMPLATES = DATA / "templates"
LOCALES = DATA / "locales"
JOURNEY_LOCALES = ("en", "sv", "zh_Hans")
NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    return Renderer(TEMPLATES, LOCALES)


def make_contact(locale: str | None = "en_US", **attributes: Any) -> Contact:
    timezone = attributes.pop("timezone", "Europe/Stockholm")
    values: dict[str, Any] = {
        "first_name": "Astrid",
        "trial_days": 14,
        "credit": 1234.5,
        "currency": "USD",
        "points": 1,
    }
    values.update(attributes)
    return Contact(
        id="c-1",
        email="astrid@example.com",
        locale=locale,
        timezone=timezone,
        consent={"email": True},
        attributes=values,
    )


def context(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "entry": {"name": "signed_up", "timestamp": NOW, "properties": {}},
        "journey": {"id": "onboarding", "name": "Welcome"},
        "unsubscribe_url": "https://example.com/u/t?a=1&b=2",
        "message_id": "<m-1@example.com>",
    }
    base.update(extra)
    return base

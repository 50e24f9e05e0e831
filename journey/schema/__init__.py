"""The JSON Schemas of the DSL, shipped as package data.

The files here are byte-identical to the top-level ``schema/`` folder that
editors point at through the ``# yaml-language-server: $schema=`` modeline; a
test keeps the two copies in step.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_NAMES: tuple[str, ...] = ("journey", "workspace", "journey-test")


def schema_file_name(name: str) -> str:
    """``journey`` or ``journey.schema.json`` -> ``journey.schema.json``."""
    base = name.removesuffix(".schema.json")
    if base not in SCHEMA_NAMES:
        known = ", ".join(SCHEMA_NAMES)
        raise ValueError(f"unknown schema {name!r}; known: {known}")
    return f"{base}.schema.json"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema, read once per process. Callers must not mutate it."""
    text = resources.files(__name__).joinpath(schema_file_name(name)).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


__all__ = ["SCHEMA_NAMES", "load_schema", "schema_file_name"]

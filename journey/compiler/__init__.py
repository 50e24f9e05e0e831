"""Compile stage: a validated journey document -> Plan with a stable content hash."""

from __future__ import annotations

from journey.compiler.build import build_plan
from journey.compiler.serialize import (
    format_duration,
    plan_from_dict,
    plan_hash,
    plan_to_dict,
    with_hash,
)
from journey.errors import InvalidInput
from journey.loader import Document
from journey.model import Plan
from journey.workspace import Workspace


def compile_journey(document: Document, workspace: Workspace) -> Plan:
    """Document (already validated) -> Plan. Raises InvalidInput for a document with errors."""
    if not document.ok or not isinstance(document.data, dict):
        raise InvalidInput(
            f"{document.path}: cannot compile a journey that has errors", document.diagnostics
        )
    return with_hash(build_plan(document.data, workspace, source=document.path))


__all__ = [
    "compile_journey",
    "format_duration",
    "plan_from_dict",
    "plan_hash",
    "plan_to_dict",
]

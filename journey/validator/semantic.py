"""Semantic passes: what the JSON Schema cannot say about a journey or workspace.yaml.

Each pass reads the document defensively (any shape of data may arrive; the
schema pass reports wrong shapes) and adds diagnostics with a stable code, the
precise location and a hint. Every problem is reported in one run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from journey.errors import Diagnostic
from journey.loader import Document
from journey.validator.semantic_channels import (
    check_channel_secrets,
    check_channel_settings,
    check_journey_channels,
)
from journey.validator.semantic_context import Checker, text
from journey.validator.semantic_conversions import (
    check_churn,
    check_conversions,
    check_surveys,
)
from journey.validator.semantic_event_examples import check_event_examples
from journey.validator.semantic_events import check_event_names
from journey.validator.semantic_experiments import check_auto_winners
from journey.validator.semantic_expr import check_expressions, check_update_attributes
from journey.validator.semantic_graph import check_graph
from journey.validator.semantic_kept import check_kept_event_references
from journey.validator.semantic_properties import check_event_properties
from journey.validator.semantic_rules import check_rules
from journey.validator.semantic_sends import check_sends
from journey.validator.semantic_time import (
    check_durations,
    check_journey_time,
    check_quiet_hours,
    check_timezone,
    workspace_duration_sites,
)
from journey.validator.semantic_tracking import check_tracking
from journey.workspace import Workspace

INTERNAL_ERROR = "internal-check-error"

JOURNEY_PASSES: tuple[Callable[[Checker], None], ...] = (
    check_graph,
    check_expressions,
    check_update_attributes,
    check_event_properties,
    check_kept_event_references,
    check_event_names,
    check_journey_time,
    check_journey_channels,
    check_sends,
    check_rules,
    check_auto_winners,
)


def check_semantics(doc: Document, workspace: Workspace) -> list[Diagnostic]:
    """All semantic problems of one journey document."""
    checker = Checker(doc, workspace)
    _run(checker, JOURNEY_PASSES)
    return checker.found


def check_workspace_doc(doc: Document) -> list[Diagnostic]:
    """Semantic problems of workspace.yaml: secrets, durations, quiet hours, the default zone."""
    checker = Checker(doc)
    _run(checker, (_workspace_pass,))
    return checker.found


def _workspace_pass(checker: Checker) -> None:
    data = checker.data
    check_channel_secrets(checker)
    check_channel_settings(checker, Path(checker.doc.path).parent)
    check_durations(checker, workspace_duration_sites(data))
    check_quiet_hours(checker, data.get("quiet_hours"), ("quiet_hours",))
    check_timezone(checker, data.get("default_timezone"), ("default_timezone",))
    check_conversions(checker)
    check_surveys(checker)
    check_churn(checker)
    check_event_examples(checker)
    check_tracking(checker)


def _run(checker: Checker, passes: tuple[Callable[[Checker], None], ...]) -> None:
    """Run each pass; a bug in one pass becomes a diagnostic instead of hiding the others."""
    if not isinstance(checker.doc.data, dict):
        return
    for check in passes:
        try:
            check(checker)
        except Exception as exc:  # the user still gets every other problem
            checker.add(
                INTERNAL_ERROR,
                f"the {check.__name__} check failed: {type(exc).__name__}: {exc}",
                (),
                hint="This is a bug in journey; please report it with this file.",
            )


def check_across(docs: list[Document]) -> list[Diagnostic]:
    """Problems between files: a journey id used twice in the workspace."""
    found: list[Diagnostic] = []
    first_by_id: dict[str, Document] = {}
    for doc in docs:
        journey_id = text(doc.data.get("id")) if isinstance(doc.data, dict) else None
        if journey_id is None:
            continue
        first = first_by_id.setdefault(journey_id, doc)
        if first is doc:
            continue
        found.append(
            Diagnostic(
                code="duplicate-journey-id",
                message=f"journey id `{journey_id}` is already used by {first.path}",
                location=doc.location(("id",)),
                hint="Journey ids must be unique in the workspace; rename one of them.",
            )
        )
    return found

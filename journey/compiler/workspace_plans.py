"""Every journey of a workspace, validated and compiled: the catalog every shell runs.

`journey run` (journey.daemon.catalog, with hot reload and last-good plans),
`journey test`, `journey ingest` and the parity tests get their plans here, so
a journey that fails `journey validate` runs nowhere and one that passes is
compiled the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from journey.compiler import compile_journey
from journey.errors import Diagnostic, JourneyError
from journey.model import Plan
from journey.validator import discover_journey_files, validate_files
from journey.workspace import Workspace


@dataclass(slots=True, kw_only=True)
class CompiledJourneys:
    plans: dict[str, Plan] = field(default_factory=dict)  # by journey id
    journey_of_file: dict[str, str] = field(default_factory=dict)  # file -> journey id
    broken: dict[str, list[str]] = field(default_factory=dict)  # file -> problems
    # journey id -> why it does not run (for reports that speak of journeys, not files)
    broken_journeys: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # the errors


def describe(diagnostic: Diagnostic) -> str:
    where = diagnostic.location
    return f"{where.path}:{where.line}:{where.col}: {diagnostic.code}: {diagnostic.message}"


def compile_journeys(workspace: Workspace) -> CompiledJourneys:
    """Validate every journey file under the workspace; compile the ones without errors.

    A journey whose own file or whose templates have errors does not run: a
    passing test of a journey `journey run` would refuse proves nothing.
    """
    found = CompiledJourneys()
    result = validate_files(discover_journey_files([workspace.journeys_dir]), workspace)
    found.diagnostics = [d for d in result.diagnostics if d.is_error]
    for path, errors in result.errors_by_document.items():
        if errors:
            found.broken[path] = [describe(d) for d in errors]
    valid = {id(doc) for doc in result.valid_documents()}
    for doc in result.documents:
        journey_id = doc.data.get("id") if isinstance(doc.data, dict) else None
        if id(doc) not in valid:
            errors = result.errors_by_document.get(doc.path) or [
                d for d in found.diagnostics if d.location.path == doc.path
            ]
            if isinstance(journey_id, str) and errors:
                first = errors[0]
                found.broken_journeys[journey_id] = (
                    f"the journey does not validate ({first.location}: "
                    f"{first.code}: {first.message})"
                )
            continue
        try:
            plan = compile_journey(doc, workspace)
        except JourneyError as exc:
            found.broken.setdefault(doc.path, []).append(str(exc))
            if isinstance(journey_id, str):
                found.broken_journeys[journey_id] = str(exc)
            continue
        found.plans[plan.journey_id] = plan
        found.journey_of_file[doc.path] = plan.journey_id
    return found

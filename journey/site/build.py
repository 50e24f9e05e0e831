"""`journey site`: validate, compile, render, test and simulate every journey, then
write a static, self-contained HTML site about them.

The site is for reviewers who would rather look than read YAML. Everything it
shows comes from the same stages the daemon uses, so what it shows is what would
happen. A journey with problems still gets a page: its problems, with locations.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journey.assembly import workspace_renderer, workspace_settings
from journey.compiler import compile_journey
from journey.engine.context import EngineSettings
from journey.errors import Diagnostic, JourneyError, UsageError
from journey.loader import Document
from journey.model import Plan
from journey.renderer import Renderer
from journey.renderer.context import preview_context
from journey.samples import SampleContact, sample_contacts
from journey.site.coverage import Coverage, journey_coverage
from journey.site.describe import trigger_text
from journey.site.forecast import Forecast, forecast_journey
from journey.site.pages import write_site
from journey.site.previews import StepPreviews, render_previews
from journey.site.svg import Diagram, layout
from journey.site.testruns import TestReport, run_journey_tests
from journey.validator import check_workspace, discover_journey_files, validate_files
from journey.workspace import Workspace

_SLUG = re.compile(r"[^a-z0-9_-]+")


@dataclass(slots=True)
class JourneyInfo:
    """Everything one journey page shows; `plan` is None when the journey has errors."""

    slug: str
    file: str
    journey_id: str
    name: str
    kind: str
    status: str
    owner: str
    description: str
    trigger: str
    problems: list[Diagnostic] = field(default_factory=list)
    plan: Plan | None = None
    coverage: list[Coverage] = field(default_factory=list)
    diagram: Diagram | None = None
    previews: list[StepPreviews] = field(default_factory=list)
    tests: TestReport | None = None
    forecast: Forecast | None = None
    results: dict[str, Any] | None = None  # this journey in `journey report`, with a store

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.problems if d.is_error]

    @property
    def problem_codes(self) -> list[str]:
        return sorted({d.code for d in self.problems})

    @property
    def render_failures(self) -> int:
        """Previews (step × locale × sample contact) that could not render."""
        return sum(
            1
            for step in self.previews
            for group in step.locales
            for preview in group.previews
            if preview.error
        )

    @property
    def forecast_errors(self) -> int:
        """Forecast contacts that would exit with `error` (a render or expression failure)."""
        return self.forecast.exits.get("error", 0) if self.forecast else 0

    @property
    def sends_fail(self) -> bool:
        """Valid on paper, but its messages or its forecast fail: flagged like an error."""
        return bool(self.render_failures or self.forecast_errors)


@dataclass(slots=True)
class SiteReport:
    out_dir: Path
    pages: list[Path] = field(default_factory=list)
    journeys: list[JourneyInfo] = field(default_factory=list)
    workspace_problems: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0
    results: dict[str, Any] | None = None  # the whole report, when built with a store

    @property
    def problem_count(self) -> int:
        return len(self.workspace_problems) + sum(len(j.problems) for j in self.journeys)


def build_site(
    root: Path,
    out_dir: Path,
    paths: Sequence[Path] = (),
    *,
    now: datetime | None = None,
    samples: list[SampleContact] | None = None,
    population: int = 150,
    database: Path | None = None,
) -> SiteReport:
    """Build the site for the journeys under `paths` (default: the workspace's journeys/).

    `now` is the moment previews are rendered at and the forecast starts (default:
    today 09:00 UTC, so two builds on one day are identical); `samples` replaces
    the built-in sample contacts. With `database`, every journey also gets a
    results page read from that store (`journey report`'s figures, as charts).
    """
    started = time.perf_counter()
    now = now or datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    workspace, workspace_problems, _ = check_workspace(root)
    files = discover_journey_files(list(paths) or [workspace.journeys_dir])
    result = validate_files(files, workspace)
    samples = samples if samples is not None else sample_contacts(workspace.contact_attributes, now)
    renderer = workspace_renderer(workspace)
    settings = workspace_settings(workspace)
    report = SiteReport(out_dir=out_dir, workspace_problems=workspace_problems)
    valid = {doc.path for doc in result.valid_documents()}
    used: set[str] = set()
    for doc in result.documents:
        info = _info(doc, workspace, result.diagnostics, used)
        if doc.path in valid:
            _compile(info, doc, workspace)
        if info.plan is not None:
            source = Path(doc.path)
            _enrich(
                info, info.plan, source, workspace, renderer, settings, samples, now, population
            )
        report.journeys.append(info)
    report.journeys.sort(key=lambda j: (j.kind, j.journey_id))
    if database is not None:
        _attach_results(report, root, database)
    report.pages = write_site(report, workspace, samples, now)
    report.seconds = time.perf_counter() - started
    return report


def _info(
    doc: Document, workspace: Workspace, diagnostics: list[Diagnostic], used: set[str]
) -> JourneyInfo:
    data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
    path = Path(doc.path)
    journey_id = str(data.get("id") or path.stem)
    slug = _SLUG.sub("-", journey_id.lower()).strip("-") or "journey"
    while slug in used:
        slug += "-2"
    used.add(slug)
    return JourneyInfo(
        slug=slug,
        file=_relative(path, workspace.root),
        journey_id=journey_id,
        name=str(data.get("name") or journey_id),
        kind=str(data.get("kind") or "?"),
        status=str(data.get("status") or "active"),
        owner=str(data.get("owner") or ""),
        description=str(data.get("description") or ""),
        trigger="",
        problems=[d for d in diagnostics if d.location.path == doc.path],
    )


def _compile(info: JourneyInfo, doc: Document, workspace: Workspace) -> None:
    try:
        plan = compile_journey(doc, workspace)
    except JourneyError as exc:
        info.problems.append(
            Diagnostic(code="compile-error", message=str(exc), location=doc.location(()))
        )
        return
    info.plan = plan
    info.trigger = trigger_text(plan)
    info.description = plan.description.strip()


def _enrich(
    info: JourneyInfo,
    plan: Plan,
    source: Path,
    workspace: Workspace,
    renderer: Renderer,
    settings: EngineSettings,
    samples: list[SampleContact],
    now: datetime,
    population: int,
) -> None:
    info.coverage = journey_coverage(plan, workspace.templates_dir, workspace.locales_dir)
    info.diagram = layout(plan)
    info.previews = render_previews(
        plan, renderer, samples, now, preview_context(plan, now, workspace)
    )
    info.tests = run_journey_tests(plan, source, renderer, settings, workspace.root)
    info.forecast = forecast_journey(plan, workspace, renderer, settings, now, population)


def _attach_results(report: SiteReport, root: Path, database: Path) -> None:
    from journey.results.workspace_report import workspace_report

    if not database.exists():
        raise UsageError(f"no state store at {database}: run the journeys first")
    results = workspace_report(root, database=database)
    assert results is not None
    report.results = results
    by_id = {j["id"]: j for j in results["journeys"]}
    for info in report.journeys:
        info.results = by_id.get(info.journey_id)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()

"""The daemon's view of the workspace: the last good plan of every journey, reloaded safely.

A reload validates everything first. A journey file that no longer validates is
reported and its last good plan keeps running; the other journeys are adopted
as they are now. A workspace.yaml with errors keeps the whole previous state.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from journey.compiler.workspace_plans import compile_journeys, describe
from journey.errors import Diagnostic, JourneyError
from journey.model import Plan
from journey.validator import check_workspace
from journey.workspace import WORKSPACE_FILE, Workspace

Fingerprint = frozenset[tuple[str, int, int]]


@dataclass(slots=True, kw_only=True)
class ReloadReport:
    """What a (re)load changed, for the logs and for the enrollment migrations."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # a new plan hash
    removed: list[str] = field(default_factory=list)
    broken: dict[str, list[str]] = field(default_factory=dict)  # journey file -> problems
    diagnostics: list[Diagnostic] = field(default_factory=list)  # the errors, to log as JSON
    kept: list[str] = field(default_factory=list)  # broken now; last good plan runs on
    workspace_broken: list[str] = field(default_factory=list)


class PlanCatalog:
    """Loads and reloads one workspace; not thread-safe (the daemon's worker thread owns it)."""

    def __init__(self, root: Path, overrides: Mapping[str, Any] | None = None) -> None:
        self.root = root
        self.overrides = dict(overrides or {})  # Workspace fields the caller replaces (demo)
        self.workspace: Workspace | None = None
        self.plans: dict[str, Plan] = {}
        self._journey_of_file: dict[str, str] = {}
        self._fingerprint: Fingerprint = frozenset()

    # ------------------------------------------------------------------ loading

    def load(self) -> ReloadReport:
        """(Re)validate and compile; the first load fails if the workspace is unusable."""
        self._fingerprint = fingerprint(self.root)
        report = ReloadReport()
        workspace, problems, _ = check_workspace(self.root)
        errors = [d for d in problems if d.is_error]
        if errors:
            report.workspace_broken = [describe(d) for d in errors]
            report.diagnostics = errors
            if self.workspace is None:
                raise JourneyError(f"{WORKSPACE_FILE} has errors: {report.workspace_broken[0]}")
            return report
        if self.overrides:
            workspace = replace(workspace, **self.overrides)
        compiled = compile_journeys(workspace)
        report.broken = compiled.broken
        report.diagnostics = compiled.diagnostics
        plans, journey_of_file = compiled.plans, compiled.journey_of_file
        for path in report.broken:
            self._keep_last_good(path, plans, journey_of_file, report)
        self._diff(plans, report)
        self.workspace, self.plans, self._journey_of_file = workspace, plans, journey_of_file
        return report

    def _keep_last_good(
        self,
        path: str,
        plans: dict[str, Plan],
        journey_of_file: dict[str, str],
        report: ReloadReport,
    ) -> None:
        journey_id = self._journey_of_file.get(path)
        if journey_id is None or journey_id in plans or journey_id not in self.plans:
            return
        if Path(path).exists():
            plans[journey_id] = self.plans[journey_id]
            journey_of_file[path] = journey_id
            report.kept.append(journey_id)

    def _diff(self, plans: dict[str, Plan], report: ReloadReport) -> None:
        for journey_id, plan in sorted(plans.items()):
            old = self.plans.get(journey_id)
            if old is None:
                report.added.append(journey_id)
            elif old.plan_hash != plan.plan_hash or old.status != plan.status:
                report.changed.append(journey_id)
        report.removed = sorted(set(self.plans) - set(plans))

    # ------------------------------------------------------------------ watching

    def changed_on_disk(self) -> bool:
        """True when a watched file was added, removed or modified since the last load."""
        return fingerprint(self.root) != self._fingerprint

    @property
    def workspace_or_fail(self) -> Workspace:
        if self.workspace is None:
            raise JourneyError("the workspace has not been loaded")
        return self.workspace


def fingerprint(root: Path) -> Fingerprint:
    """(path, mtime, size) of workspace.yaml and everything under journeys/ templates/ locales/."""
    found: set[tuple[str, int, int]] = set()
    config = root / WORKSPACE_FILE
    candidates = [config] if config.is_file() else []
    for folder in ("journeys", "templates", "locales"):
        base = root / folder
        if not base.is_dir():
            continue
        for directory, _, names in os.walk(base):
            candidates.extend(Path(directory) / name for name in names)
    for path in candidates:
        try:
            stat = path.stat()
        except OSError:
            continue
        found.add((str(path), stat.st_mtime_ns, stat.st_size))
    return frozenset(found)

"""Find test files, compile the journeys they name, run every case, report like a runner."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from journey.assembly import workspace_renderer, workspace_settings
from journey.compiler.workspace_plans import compile_journeys
from journey.errors import Diagnostic
from journey.testing.cases import TestFile, load_test_file
from journey.testing.run import CaseResult, run_case
from journey.workspace import Workspace

TEST_SUFFIXES = (".test.yaml", ".test.yml")


@dataclass(slots=True)
class SuiteResult:
    results: list[tuple[str, CaseResult]] = field(default_factory=list)
    invalid: list[Diagnostic] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for _, r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return sum(1 for _, r in self.results if not r.passed)


def discover_tests(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.name.endswith(TEST_SUFFIXES)))
        else:
            found.append(path)
    return found


def run_suite(
    files: list[Path], workspace: Workspace, *, report: Callable[[str, CaseResult], None]
) -> SuiteResult:
    suite = SuiteResult()
    compiled = compile_journeys(workspace)
    plans, broken = compiled.plans, compiled.broken_journeys
    renderer = workspace_renderer(workspace)
    settings = workspace_settings(workspace)
    for path in files:
        loaded = load_test_file(path, root=workspace.root)
        if not isinstance(loaded, TestFile):
            suite.invalid.extend(loaded)
            continue
        plan = plans.get(loaded.journey_id)
        if plan is None and loaded.journey_id not in broken:
            suite.invalid.append(
                Diagnostic(
                    code="unknown-journey",
                    message=f"no journey with id `{loaded.journey_id}` in the workspace",
                    location=loaded.location,
                    hint=_closest_hint(loaded.journey_id, [*plans, *broken]),
                )
            )
            continue
        for case in loaded.cases:
            if plan is None:
                why = broken.get(loaded.journey_id, "no journey with this id in the workspace")
                result = CaseResult(
                    name=case.name, passed=False, problem=f"journey `{loaded.journey_id}`: {why}"
                )
            else:
                result = run_case(case, plan, renderer, settings)
            suite.results.append((loaded.journey_id, result))
            report(loaded.journey_id, result)
    return suite


def _closest_hint(journey_id: str, known: list[str]) -> str:
    close = difflib.get_close_matches(journey_id, known, n=1)
    if close:
        return f"did you mean `{close[0]}`?"
    return "the `journey:` key names the `id:` of a journey under journeys/"

"""The journey's own tests (`*.test.yaml` next to it), run as `journey test` runs them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from journey.engine.context import EngineSettings
from journey.errors import Diagnostic
from journey.loader import load_yaml
from journey.localtime import resolve_zone
from journey.model import Plan
from journey.renderer import Renderer
from journey.testing import Case, CaseResult, TestFile, load_test_file, run_case
from journey.testing.run import describe_expected
from journey.testing.suite import TEST_SUFFIXES


@dataclass(frozen=True, slots=True)
class CaseReport:
    file: str
    case: Case
    result: CaseResult
    expect: list[str]  # each expectation in words, times in the contact's zone
    events: list[str]  # what the case feeds in, `after 3d: taste_profile_completed`


@dataclass(slots=True)
class TestReport:
    __test__ = False  # not a pytest class

    cases: list[CaseReport] = field(default_factory=list)
    invalid: list[Diagnostic] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for c in self.cases if c.result.passed)

    @property
    def failed(self) -> int:
        return len(self.cases) - self.passed


def tests_beside(journey_file: Path) -> list[Path]:
    folder = journey_file.parent
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(TEST_SUFFIXES))


def run_journey_tests(
    plan: Plan, journey_file: Path, renderer: Renderer, settings: EngineSettings, root: Path
) -> TestReport:
    """Every case of every test file in the journey's folder that names this journey."""
    report = TestReport()
    for path in tests_beside(journey_file):
        loaded = load_test_file(path, root=root)
        if not isinstance(loaded, TestFile):
            if _names_journey(path, plan.journey_id, root):
                report.invalid += loaded
            continue
        if loaded.journey_id != plan.journey_id:
            continue
        shown = _relative(path, root)
        for case in loaded.cases:
            result = run_case(case, plan, renderer, settings)
            zone = resolve_zone(
                case.contact.get("timezone"), plan.timezone, settings.default_timezone
            )
            expect = [describe_expected(e, zone) for e in case.expect]
            report.cases.append(CaseReport(shown, case, result, expect, _events(case)))
    return report


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _names_journey(path: Path, journey_id: str, root: Path) -> bool:
    data = load_yaml(path, root=root).data
    return isinstance(data, dict) and data.get("journey") == journey_id


def _events(case: Case) -> list[str]:
    lines = []
    for item in case.events:
        what = item.name or ""
        if item.contact is not None:
            what = "contact changes " + ", ".join(f"{k}={v}" for k, v in item.contact.items())
        lines.append(f"after {item.after.text or '0s'}: {what}")
    return lines

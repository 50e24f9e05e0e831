"""A `*.test.yaml` file -> TestFile, or diagnostics with PATH:LINE:COL.

The JSON Schema (schema/journey-test.schema.json) checks the shape; the checks
here turn text into instants and durations and catch what a schema cannot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from journey.durations import parse_duration
from journey.errors import Diagnostic, Diagnostics, Location
from journey.loader import Document, JsonPath, load_yaml
from journey.localtime import parse_instant
from journey.model import Duration

DEFAULT_RUN_FOR = Duration(calendar_days=30, text="30d")
EXPECT_KINDS = ("send", "skip", "exit", "in_flight", "split")
NO_WINNER = "none"  # `winner: none`: the split's auto-winner decided, and found no winner


@dataclass(frozen=True, slots=True, kw_only=True)
class Happenstance:
    """One entry of a case's `events`: an event or a contact change, `after` from start."""

    after: Duration
    name: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    event_id: str | None = None
    contact: dict[str, Any] | None = None
    index: int = 0  # file order, for entries at the same instant

    @property
    def is_history(self) -> bool:
        return self.after.calendar_days < 0 or self.after.seconds < 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Expectation:
    kind: str  # send | skip | exit | in_flight | split
    target: str  # step id or exit reason
    reason: str | None = None
    arm: str | None = None  # split: the arm the contact must be given
    winner: str | None = None  # split: its auto-winner decision by the end ("none": no winner)
    at: datetime | None = None
    locale: str | None = None
    channel: str | None = None
    subject_contains: str | None = None
    text_contains: str | None = None
    variant: str | None = None  # send: the variant the contact must be given
    detail_contains: str | None = None  # the step record: why skipped, channels passed over


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    name: str
    start: datetime
    contact: dict[str, Any]
    events: tuple[Happenstance, ...]
    run_for: Duration
    expect: tuple[Expectation, ...]
    subsequence: bool
    location: Location


@dataclass(frozen=True, slots=True, kw_only=True)
class TestFile:
    __test__ = False  # not a pytest test class

    path: str
    journey_id: str
    cases: tuple[Case, ...]
    location: Location


def load_test_file(path: Path | str, *, root: Path | None = None) -> TestFile | list[Diagnostic]:
    """The test file, or every problem found in it; under `root` no linked file is read."""
    doc = load_yaml(path, root=root)
    problems = Diagnostics(list(doc.diagnostics))
    if doc.data is None or problems.has_errors:
        return problems.items
    problems.extend(_schema_problems(doc))
    if problems.has_errors:
        return problems.items
    data = doc.data
    cases: list[Case] = []
    for index, raw in enumerate(data["cases"]):
        case = _case(doc, ("cases", index), raw, problems)
        if case is not None:
            cases.append(case)
    if problems.has_errors:
        return problems.items
    return TestFile(
        path=doc.path,
        journey_id=data["journey"],
        cases=tuple(cases),
        location=doc.location(("journey",)),
    )


def _schema_problems(doc: Document) -> list[Diagnostic]:
    if not isinstance(doc.data, dict):
        return [
            Diagnostic(
                code="wrong-type",
                message="a journey test file is a mapping with `journey:` and `cases:`",
                location=doc.location(()),
            )
        ]
    from journey.validator.schema_pass import check_schema

    return check_schema(doc, "journey-test")


def _problem(problems: Diagnostics, doc: Document, path: JsonPath, message: str) -> None:
    problems.add("invalid-test", message, doc.location(path, value=True))


def _instant(doc: Document, path: JsonPath, value: Any, problems: Diagnostics) -> datetime | None:
    try:
        return parse_instant(str(value))
    except ValueError as exc:
        _problem(problems, doc, path, f"`{value}` is not a date and time with an offset: {exc}")
        return None


def _duration(
    doc: Document, path: JsonPath, value: Any, problems: Diagnostics, *, negative: bool = False
) -> Duration | None:
    try:
        return parse_duration(value, allow_negative=negative)
    except ValueError as exc:
        _problem(problems, doc, path, str(exc))
        return None


def _case(doc: Document, path: JsonPath, raw: dict[str, Any], problems: Diagnostics) -> Case | None:
    start = _instant(doc, (*path, "start"), raw["start"], problems)
    run_for = (
        _duration(doc, (*path, "run_for"), raw["run_for"], problems)
        if "run_for" in raw
        else DEFAULT_RUN_FOR
    )
    events: list[Happenstance] = []
    for index, item in enumerate(raw.get("events") or ()):
        after = _duration(
            doc, (*path, "events", index, "after"), item.get("after", "0s"), problems, negative=True
        )
        if after is None:
            continue
        events.append(
            Happenstance(
                after=after,
                name=item.get("name"),
                properties=dict(item.get("properties") or {}),
                event_id=str(item["id"]) if item.get("id") is not None else None,
                contact=dict(item["contact"]) if "contact" in item else None,
                index=index,
            )
        )
    expect = [
        _expectation(doc, (*path, "expect", i), item, problems)
        for i, item in enumerate(raw["expect"])
    ]
    if start is None or run_for is None or any(e is None for e in expect):
        return None
    return Case(
        name=str(raw["name"]),
        start=start,
        contact=dict(raw["contact"]),
        events=tuple(events),
        run_for=run_for,
        expect=tuple(e for e in expect if e is not None),
        subsequence=raw.get("match") == "subsequence",
        location=doc.location(path),
    )


def _expectation(
    doc: Document, path: JsonPath, item: dict[str, Any], problems: Diagnostics
) -> Expectation | None:
    kind = next(k for k in EXPECT_KINDS if k in item)
    at = None
    if "at" in item:
        at = _instant(doc, (*path, "at"), item["at"], problems)
        if at is None:
            return None
    return Expectation(
        kind=kind,
        target=str(item[kind]),
        reason=item.get("reason"),
        arm=str(item["arm"]) if "arm" in item else None,
        winner=str(item["winner"]) if "winner" in item else None,
        at=at,
        locale=item.get("locale"),
        channel=item.get("channel"),
        subject_contains=item.get("subject_contains"),
        text_contains=item.get("text_contains"),
        variant=str(item["variant"]) if "variant" in item else None,
        detail_contains=item.get("detail_contains"),
    )


def history_offset(after: Duration) -> timedelta:
    """A negative `after` as elapsed time (history needs no calendar arithmetic)."""
    return timedelta(days=after.calendar_days, seconds=after.seconds)

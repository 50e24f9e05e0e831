"""Run one test case on a virtual clock against a throw-away store, and compare.

Entries at the same instant run in file order, and events before timers. A
negative `after` stores history that triggers nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from journey.clock import VirtualClock
from journey.engine.context import EngineSettings
from journey.engine.inputs import parse_event
from journey.engine.perform import Happening, Renders
from journey.engine.runner import Runner
from journey.engine.shell import Shell
from journey.engine.timeline import run_until
from journey.localtime import add_duration, resolve_zone
from journey.model import Plan, SplitStep
from journey.records import SplitDecision
from journey.testing.cases import NO_WINNER, Case, Expectation, Happenstance, history_offset


@dataclass(frozen=True, slots=True, kw_only=True)
class Actual:
    """What happened to the contact, in the vocabulary of `expect`."""

    kind: str
    target: str
    at: datetime | None = None
    reason: str | None = None
    locale: str | None = None
    channel: str | None = None
    subject: str | None = None
    text: str | None = None
    variant: str | None = None
    detail: str | None = None  # why a send was skipped, or the channels passed over


@dataclass(slots=True, kw_only=True)
class CaseResult:
    name: str
    passed: bool
    expected: list[str] = field(default_factory=list)
    actual: list[str] = field(default_factory=list)
    problem: str = ""

    def diff(self) -> list[str]:
        if self.problem:
            return [self.problem]
        return list(
            difflib.unified_diff(self.expected, self.actual, "expected", "actual", lineterm="", n=2)
        )


def run_case(case: Case, plan: Plan, renderer: Renders, settings: EngineSettings) -> CaseResult:
    from journey.assembly import VirtualRun, virtual_shell

    happenings: list[Happening] = []
    clock = VirtualClock(case.start)
    shell = virtual_shell(
        {plan.journey_id: plan},
        clock,
        VirtualRun(renderer=renderer, settings=settings, listener=happenings.append),
    )
    store = shell.store
    try:
        shell.runner.activate(case.start)
        _play(shell, clock, case)
        contact_id = str(case.contact["id"])
        actual = _actuals(happenings, contact_id, plan.journey_id)
        latest = store.latest_enrollment(plan.journey_id, contact_id)
        if latest is not None and latest.is_active:
            actual.append(Actual(kind="in_flight", target=latest.step_id))
        arms = dict(latest.arms) if latest is not None else {}
        decisions = {
            e.target: store.split_decision(plan.journey_id, e.target)
            for e in case.expect
            if e.kind == "split" and e.winner is not None
        }
    finally:
        store.close()
    contact_zone = resolve_zone(
        case.contact.get("timezone"), plan.timezone, settings.default_timezone
    )
    wrong_arms = arm_problems(case, arms) + winner_problems(case, plan, decisions)
    if wrong_arms:
        return CaseResult(name=case.name, passed=False, problem="; ".join(wrong_arms))
    return compare(case, actual, contact_zone)


def arm_problems(case: Case, arms: dict[str, str]) -> list[str]:
    """`split: STEP, arm: NAME` entries against the arms the contact was given.

    Arms are not messages, so these entries are checked wherever they stand in
    `expect` and take no part in the ordered comparison.
    """
    problems = []
    for expected in case.expect:
        if expected.kind != "split" or expected.arm is None:
            continue
        given = arms.get(expected.target)
        if given is None:
            problems.append(
                f"expected arm {expected.arm!r} at split {expected.target!r}, "
                "but the contact never reached that split"
            )
        elif given != expected.arm:
            problems.append(
                f"expected arm {expected.arm!r} at split {expected.target!r}, "
                f"but the contact was given {given!r}"
            )
    return problems


def winner_problems(
    case: Case, plan: Plan, decisions: Mapping[str, SplitDecision | None]
) -> list[str]:
    """`split: STEP, winner: ARM` (or `winner: none`) against the split's auto-winner decision
    as the store kept it when the case ended; checked wherever they stand in `expect`."""
    problems = []
    steps = {step.id: step for step in plan.steps}
    for expected in case.expect:
        if expected.kind != "split" or expected.winner is None:
            continue
        step = steps.get(expected.target)
        wanted = f"expected winner {expected.winner!r} at split {expected.target!r}"
        if not isinstance(step, SplitStep) or step.auto_winner is None:
            problems.append(f"{wanted}, but that step is not a split with `auto_winner`")
            continue
        decision = decisions.get(expected.target)
        if decision is None:
            problems.append(
                f"{wanted}, but the split had not decided when the case ended"
                " (neither its sample nor its horizon was reached)"
            )
        elif (decision.winner or NO_WINNER) != expected.winner:
            problems.append(f"{wanted}, but it decided {decision.winner or NO_WINNER!r}")
    return problems


def _play(shell: Shell, clock: VirtualClock, case: Case) -> None:
    runner = shell.runner
    zone = resolve_zone(case.contact.get("timezone"), None, "UTC")
    history = [h for h in case.events if h.is_history]
    for item in sorted(history, key=lambda h: (history_offset(h.after), h.index)):
        _apply(runner, case, item, case.start + history_offset(item.after), history=True)
    runner.upsert_contact(case.contact, case.start)  # after history: inactivity counts from it
    timeline = sorted(
        (
            (add_duration(case.start, h.after, zone), h.index, h)
            for h in case.events
            if not h.is_history
        ),
        key=lambda entry: (entry[0], entry[1]),
    )
    for when, _, item in timeline:
        run_until(shell, clock, when, inclusive=False)
        _apply(runner, case, item, when, history=False)
    run_until(shell, clock, add_duration(case.start, case.run_for, zone))


def _apply(
    runner: Runner, case: Case, item: Happenstance, when: datetime, *, history: bool
) -> None:
    contact_id = str(case.contact["id"])
    now = runner.clock.now()
    if item.contact is not None:
        runner.upsert_contact({**item.contact, "id": contact_id}, now)
        return
    data = {
        "name": item.name,
        "contact_id": contact_id,
        "timestamp": when,
        "properties": item.properties,
        "id": item.event_id or f"test-event-{item.index}",
    }
    runner.handle_event(parse_event(data, now), history_only=history)


def _actuals(happenings: list[Happening], contact_id: str, journey_id: str) -> list[Actual]:
    """What happened, in order; an `exit: error` carries why (the failed step and its error)."""
    found: list[Actual] = []
    failure: str | None = None
    for h in happenings:
        if h.contact_id != contact_id or h.journey_id != journey_id:
            continue
        if h.kind == "fail":
            failure = f"step {h.step_id} failed: {h.reason}"
            continue
        if h.kind == "send" and h.message is not None:
            m = h.message
            found.append(
                Actual(
                    kind="send",
                    target=h.step_id,
                    at=h.at,
                    locale=m.locale,
                    channel=m.channel,
                    subject=m.subject,
                    text=m.text,
                    variant=h.variant or None,
                    detail=h.detail or None,
                )
            )
        elif h.kind == "skip":
            found.append(
                Actual(
                    kind="skip",
                    target=h.step_id,
                    at=h.at,
                    reason=h.reason,
                    detail=h.detail or None,
                )
            )
        elif h.kind == "exit":
            why = failure if h.reason == "error" else None
            found.append(Actual(kind="exit", target=h.reason, at=h.at, reason=why))
            failure = None
    return found


def matches(expected: Expectation, actual: Actual) -> bool:
    if (expected.kind, expected.target) != (actual.kind, actual.target):
        return False
    checks = (
        expected.reason is None or expected.reason == actual.reason,
        expected.at is None or expected.at == actual.at,
        expected.locale is None or expected.locale == actual.locale,
        expected.channel is None or expected.channel == actual.channel,
        expected.subject_contains is None or expected.subject_contains in (actual.subject or ""),
        expected.text_contains is None or expected.text_contains in (actual.text or ""),
        expected.variant is None or expected.variant == actual.variant,
        expected.detail_contains is None or expected.detail_contains in (actual.detail or ""),
    )
    return all(checks)


def compare(case: Case, actual: list[Actual], zone: ZoneInfo) -> CaseResult:
    ordered = [e for e in case.expect if e.kind != "split"]
    if case.subsequence:
        position = 0
        for expected in ordered:
            while position < len(actual) and not matches(expected, actual[position]):
                position += 1
            if position == len(actual):
                return _failed(case, actual, zone)
            position += 1
        return CaseResult(name=case.name, passed=True)
    ok = len(actual) == len(ordered) and all(
        matches(e, a) for e, a in zip(ordered, actual, strict=True)
    )
    return CaseResult(name=case.name, passed=True) if ok else _failed(case, actual, zone)


def _failed(case: Case, actual: list[Actual], zone: ZoneInfo) -> CaseResult:
    return CaseResult(
        name=case.name,
        passed=False,
        expected=[describe_expected(e, zone) for e in case.expect if e.kind != "split"],
        actual=[describe_actual(a, zone) for a in actual],
    )


def _when(at: datetime | None, zone: ZoneInfo) -> str:
    return f" at {at.astimezone(zone).isoformat()}" if at is not None else ""


def describe_expected(e: Expectation, zone: ZoneInfo) -> str:
    parts = [f"{e.kind}: {e.target}{_when(e.at, zone)}"]
    for label, value in (
        ("reason", e.reason),
        ("locale", e.locale),
        ("channel", e.channel),
        ("subject contains", e.subject_contains),
        ("text contains", e.text_contains),
        ("variant", e.variant),
        ("detail contains", e.detail_contains),
    ):
        if value is not None:
            parts.append(f"{label} {value!r}")
    return ", ".join(parts)


def describe_actual(a: Actual, zone: ZoneInfo) -> str:
    parts = [f"{a.kind}: {a.target}{_when(a.at, zone)}"]
    for label, value in (
        ("reason", a.reason),
        ("locale", a.locale),
        ("channel", a.channel),
        ("subject", a.subject),
        ("variant", a.variant),
        ("detail", a.detail),
    ):
        if value is not None:
            parts.append(f"{label} {value!r}")
    return ", ".join(parts)

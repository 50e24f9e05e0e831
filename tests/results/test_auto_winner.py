"""A split with `auto_winner`: a clearly better arm takes every later entrant, decided once.

The journey runs on the real engine (the shell every command uses) against a
real SQLite store; converters are drawn with a fixed seed from known rates.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from journey.localtime import parse_instant
from journey.model import (
    END,
    AutoWinner,
    Duration,
    EventTrigger,
    Goal,
    Plan,
    SendStep,
    SplitArm,
    SplitStep,
)
from journey.results.auto_winner import decide
from journey.results.conversions import ConversionSettings
from journey.results.report import build_report
from tests.engine.engine_world import World

JOURNEY = "welcome"
START = parse_instant("2026-03-02T08:00:00Z")


def plan(auto: AutoWinner) -> Plan:
    subject = SplitStep(
        id="subject",
        next="mail-a",
        arms=(
            SplitArm(weight=50, goto="mail-a", name="a"),
            SplitArm(weight=50, goto="mail-b", name="b"),
        ),
        auto_winner=auto,
    )
    return Plan(
        journey_id=JOURNEY,
        name="Welcome",
        kind="onboarding",
        trigger=EventTrigger(event="signed_up"),
        goal=Goal(event="order_placed", within=Duration(calendar_days=14, text="14d")),
        steps=(subject, mail("mail-a"), mail("mail-b")),
    )


def mail(step_id: str) -> SendStep:
    return SendStep(id=step_id, next=END, channel="email", template=f"t/{step_id}", message="email")


AFTER_7D = AutoWinner(metric="goal", after=Duration(calendar_days=7, text="7d"))


def run(
    tmp: Path, auto: AutoWinner, rates: dict[str, float], seed: int, first: int, later: int
) -> World:
    """`first` contacts over six days (some convert), a week on, then `later` more."""
    rng = random.Random(seed)
    world = World(tmp, START)
    world.load(plan(auto))
    for n in range(first):
        contact_id = f"p{n:04d}"
        world.contact(id=contact_id)
        world.event("signed_up", contact_id=contact_id)
        if n % (first // 6) == 0:
            world.advance(timedelta(days=1))
    world.advance(timedelta(hours=1))
    assert world.store.split_decision(JOURNEY, "subject") is None
    for outcome in world.store.enrollment_outcomes(JOURNEY):
        if rng.random() < rates[outcome.arms["subject"]]:
            world.event("order_placed", contact_id=outcome.contact_id)
    world.advance(START + timedelta(days=8))
    for n in range(later):
        contact_id = f"q{n:04d}"
        world.contact(id=contact_id)
        world.event("signed_up", contact_id=contact_id)
    world.advance(timedelta(hours=1))
    return world


def later_arms(world: World) -> set[str]:
    return {
        o.arms["subject"]
        for o in world.store.enrollment_outcomes(JOURNEY)
        if o.contact_id.startswith("q")
    }


def test_a_clearly_better_arm_takes_every_later_entrant(tmp_path: Path) -> None:
    world = run(tmp_path, AFTER_7D, {"a": 0.10, "b": 0.40}, seed=7, first=300, later=60)
    decision = world.store.split_decision(JOURNEY, "subject")
    assert decision is not None and decision.winner == "b"
    assert decision.decided_at == START + timedelta(days=8)
    figures = decision.figures
    assert figures["metric"] == "goal" and "7d passed" in figures["reason"]
    arms = {row["name"]: row for row in figures["arms"]}
    assert arms["a"]["entered"] + arms["b"]["entered"] == 300
    assert arms["b"]["rate"] > arms["a"]["rate"]
    assert figures["comparisons"][0]["adjusted_p"] < 0.05
    assert later_arms(world) == {"b"}
    later_sends = [
        h.step_id for h in world.happenings if h.kind == "send" and h.contact_id.startswith("q")
    ]
    assert later_sends == ["mail-b"] * 60  # the winner's message, never the loser's
    assert len(world.store.split_decisions()) == 1


def test_the_report_shows_the_decision_and_measures_the_experiment_before_it(
    tmp_path: Path,
) -> None:
    world = run(tmp_path, AFTER_7D, {"a": 0.10, "b": 0.40}, seed=7, first=300, later=60)
    report = build_report(world.store, {JOURNEY: plan(AFTER_7D)}, ConversionSettings())
    (split,) = report["journeys"][0]["splits"]
    assert split["auto_winner"]["winner"] == "b"
    assert split["auto_winner"]["after_decision"] == 60
    assert sum(arm["entered"] for arm in split["arms"]) == 300


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_with_no_difference_the_split_goes_on_as_declared(tmp_path: Path, seed: int) -> None:
    world = run(tmp_path, AFTER_7D, {"a": 0.2, "b": 0.2}, seed=seed, first=240, later=60)
    decision = world.store.split_decision(JOURNEY, "subject")
    assert decision is not None and decision.winner is None
    assert "no winner" in decision.figures["decision"]
    assert later_arms(world) == {"a", "b"}


def test_a_sample_decides_as_soon_as_it_is_reached(tmp_path: Path) -> None:
    auto = AutoWinner(metric="goal", sample=100)
    world = World(tmp_path, START)
    world.load(plan(auto))
    for n in range(99):
        world.contact(id=f"p{n:03d}")
        world.event("signed_up", contact_id=f"p{n:03d}")
    assert world.store.split_decision(JOURNEY, "subject") is None
    for n in range(99, 110):
        world.contact(id=f"p{n:03d}")
        world.event("signed_up", contact_id=f"p{n:03d}")
    decision = world.store.split_decision(JOURNEY, "subject")
    assert decision is not None and decision.winner is None  # nobody converted: no winner
    assert decision.figures["reason"] == "100 contacts entered the split"


def test_the_false_winner_rate_stays_below_one_minus_confidence() -> None:
    """Arms that truly convert alike, 400 trials: a winner is called at most ~5 % of the time."""
    step = plan(AFTER_7D).steps[0]
    assert isinstance(step, SplitStep)
    rng = random.Random(20261202)
    winners = 0
    trials = 400
    for _ in range(trials):
        counts = {}
        for name in ("a", "b"):
            entered = 200
            counts[name] = (entered, sum(rng.random() < 0.2 for _ in range(entered)))
        decision = decide(JOURNEY, step, AFTER_7D, counts, now=START, reason="test")
        winners += decision.winner is not None
    assert winners / trials <= 0.05 + 0.03  # 5 % with room for the draw (sd ~1.1 pts)


def test_a_true_effect_is_found_nearly_always() -> None:
    step = plan(AFTER_7D).steps[0]
    assert isinstance(step, SplitStep)
    rng = random.Random(4)
    found = 0
    for _ in range(100):
        counts = {
            name: (500, sum(rng.random() < rate for _ in range(500)))
            for name, rate in (("a", 0.10), ("b", 0.20))
        }
        found += decide(JOURNEY, step, AFTER_7D, counts, now=START, reason="test").winner == "b"
    assert found >= 95

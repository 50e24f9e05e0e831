"""The report recovers a population whose true effect is known (generated with a fixed seed).

Counts (entered, converted, sent, revenue per currency) come back exactly;
estimated rates and differences lie inside their intervals; the decision
names the arm that truly converts better. The journey runs on the real engine
against a real SQLite store.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from journey.engine.steps import split_arm
from journey.localtime import parse_instant
from journey.model import END, Duration, EventTrigger, Goal, Plan, SendStep, SplitArm, SplitStep
from journey.results.conversions import ConversionEvent, ConversionSettings, Survey
from journey.results.report import build_report
from journey.results.stats import newcombe_interval, wilson_interval
from tests.engine.engine_world import World

JOURNEY = "welcome"
TRUE_RATES = {"holdout": 0.10, "a": 0.15, "b": 0.25}
PEOPLE = 1200
SETTINGS = ConversionSettings(
    window=Duration(calendar_days=7, text="7d"),
    events={"order_placed": ConversionEvent(name="order_placed", value="total", currency="cur")},
    surveys={
        "nps": Survey(name="nps", kind="nps", event="survey", score="score", match={"q": "nps"})
    },
)
SCORES = (10, 9, 8, 7, 6, 3, 0, 10)

HOLDOUT = SplitStep(
    id="holdout",
    next="subject",
    arms=(
        SplitArm(weight=20, goto=END, name="holdout"),
        SplitArm(weight=80, goto="subject", name="treated"),
    ),
)
SUBJECT = SplitStep(
    id="subject",
    next="mail-a",
    arms=(
        SplitArm(weight=50, goto="mail-a", name="a"),
        SplitArm(weight=50, goto="mail-b", name="b"),
    ),
)


def mail(step_id: str) -> SendStep:
    return SendStep(id=step_id, next=END, channel="email", template=f"t/{step_id}", message="email")


PLAN = Plan(
    journey_id=JOURNEY,
    name="Welcome",
    kind="onboarding",
    trigger=EventTrigger(event="signed_up"),
    goal=Goal(event="order_placed", within=Duration(calendar_days=14, text="14d")),
    steps=(HOLDOUT, SUBJECT, mail("mail-a"), mail("mail-b")),
)


@dataclass
class Truth:
    entered: Counter[str] = field(default_factory=Counter)
    converted: Counter[str] = field(default_factory=Counter)
    revenue: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    scores: list[int] = field(default_factory=list)  # answers of contacts who got a mail
    opened: Counter[str] = field(default_factory=Counter)  # per mail step
    clicked: Counter[str] = field(default_factory=Counter)
    late: int = 0  # orders after the goal's 14 days: no conversion
    outsiders: int = 0  # orders by contacts never enrolled


def arm_of(contact_id: str) -> str:
    if split_arm(HOLDOUT, JOURNEY, contact_id)[0] == "holdout":
        return "holdout"
    return split_arm(SUBJECT, JOURNEY, contact_id)[0]


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Truth]:  # type: ignore[type-arg]
    rng = random.Random(20261202)
    world = World(Path(tmp_path_factory.mktemp("known")), parse_instant("2026-03-02T08:00:00Z"))
    world.load(PLAN)
    truth = Truth()
    people = [f"p{n:05d}" for n in range(PEOPLE)]
    for contact_id in people:
        world.contact(id=contact_id)
        world.event("signed_up", contact_id=contact_id)
        truth.entered[arm_of(contact_id)] += 1
    world.advance(timedelta(days=1))
    touches = world.store.message_touches(JOURNEY)
    for again in (False, True):  # a third open, twice each (an hour apart); every ninth clicks
        for number, touch in enumerate(touches):
            if number % 3 == 0:
                world.event("journey.opened", contact_id=touch.contact_id,
                            delivery_key=touch.message_id)  # fmt: skip
                if number % 9 == 0:
                    world.event("journey.clicked", contact_id=touch.contact_id,
                                delivery_key=touch.message_id)  # fmt: skip
                if not again:
                    truth.opened[touch.step_id] += 1
                    truth.clicked[touch.step_id] += number % 9 == 0
            elif number % 3 == 1 and not again:  # a privacy proxy fetched the pixel
                world.event("journey.opened", contact_id=touch.contact_id,
                            delivery_key=touch.message_id, machine=True)  # fmt: skip
        world.advance(timedelta(hours=1))
    world.advance(timedelta(days=1))
    buyers = [c for c in people if rng.random() < TRUE_RATES[arm_of(c)]]
    for contact_id in buyers:
        total, currency = rng.choice((100, 250, 399)), rng.choice(("SEK", "USD"))
        world.event("order_placed", contact_id=contact_id, total=total, cur=currency)
        truth.converted[arm_of(contact_id)] += 1
        truth.revenue[arm_of(contact_id)][currency] += total
    for number, contact_id in enumerate(people[:120]):
        score = SCORES[number % len(SCORES)]
        world.event("survey", contact_id=contact_id, q="nps", score=score)
        world.event("survey", contact_id=contact_id, q="other", score=0)  # another survey
        if arm_of(contact_id) != "holdout":
            truth.scores.append(score)
    world.advance(timedelta(days=15))  # day 17: past the goal's 14 days and the 7-day window
    for contact_id in rng.sample(people, 30):
        world.event("order_placed", contact_id=contact_id, total=50, cur="SEK")
        truth.late += 1
    for number in range(12):
        world.contact(id=f"walk-in-{number}")
        world.event("order_placed", contact_id=f"walk-in-{number}", total=10, cur="USD")
        truth.outsiders += 1
    world.finish(timedelta(hours=1))
    report = build_report(world.store, {JOURNEY: PLAN}, SETTINGS)
    world.store.close()
    return report, truth


def arms(report: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    journey = report["journeys"][0]
    found = {}
    for split in journey["splits"]:
        for arm in split["arms"]:
            found[(split["step"], arm["name"])] = arm
    return {
        "holdout": found[("holdout", "holdout")],
        "treated": found[("holdout", "treated")],
        "a": found[("subject", "a")],
        "b": found[("subject", "b")],
    }


def test_counts_come_back_exactly(population: tuple[dict, Truth]) -> None:  # type: ignore[type-arg]
    report, truth = population
    journey = report["journeys"][0]
    found = arms(report)
    for name in ("holdout", "a", "b"):
        assert found[name]["entered"] == truth.entered[name], name
        assert found[name]["converted"] == truth.converted[name], name
        assert found[name]["revenue"] == {
            c: float(v) for c, v in sorted(truth.revenue[name].items())
        }
    assert found["treated"]["entered"] == truth.entered["a"] + truth.entered["b"]
    assert journey["entered"] == PEOPLE
    assert journey["converted"] == sum(truth.converted.values())
    steps = {s["step"]: s for s in journey["steps"]}
    assert steps["mail-a"]["sent"] == truth.entered["a"] == found["a"]["sent"]
    assert steps["mail-b"]["sent"] == truth.entered["b"] == found["b"]["sent"]
    assert found["holdout"]["sent"] == 0


def test_opens_and_clicks_are_counted_once_per_message_and_machines_apart(
    population: tuple[dict, Truth],  # type: ignore[type-arg]
) -> None:
    report, truth = population
    journey = report["journeys"][0]
    steps = {s["step"]: s for s in journey["steps"]}
    for step in ("mail-a", "mail-b"):
        assert (steps[step]["opened"], steps[step]["clicked"]) == (
            truth.opened[step],
            truth.clicked[step],
        )
    assert journey["opened"] == sum(truth.opened.values()) > 0
    assert journey["machine_opens"] == journey["sent"] // 3 + (journey["sent"] % 3 > 1)
    assert arms(report)["a"]["opened"] == truth.opened["mail-a"]


def test_revenue_is_summed_per_currency_and_never_mixed(population: tuple[dict, Truth]) -> None:  # type: ignore[type-arg]
    report, truth = population
    expected: Counter[str] = Counter()
    for per_arm in truth.revenue.values():
        expected.update(per_arm)
    assert report["journeys"][0]["revenue"] == {c: float(v) for c, v in sorted(expected.items())}


def test_orders_are_credited_last_touch_and_the_rest_is_not_attributed(
    population: tuple[dict, Truth],  # type: ignore[type-arg]
) -> None:
    report, truth = population
    steps = {s["step"]: s for s in report["journeys"][0]["steps"]}
    assert steps["mail-a"]["conversions"] == truth.converted["a"]
    assert steps["mail-b"]["conversions"] == truth.converted["b"]
    assert steps["mail-a"]["goal_conversions"] == truth.converted["a"]
    summary = report["conversion_events"]
    # the holdout got no message; late orders fall outside the 7-day window; walk-ins got nothing
    assert summary["unattributed"] == truth.converted["holdout"] + truth.late + truth.outsiders
    assert summary["total"] == sum(truth.converted.values()) + truth.late + truth.outsiders


def test_nps_counts_the_answers_credited_to_the_journey(population: tuple[dict, Truth]) -> None:  # type: ignore[type-arg]
    report, truth = population
    nps = report["journeys"][0]["surveys"]["nps"]
    promoters = sum(1 for s in truth.scores if s >= 9)
    detractors = sum(1 for s in truth.scores if s <= 6)
    assert (nps["responses"], nps["promoters"], nps["detractors"]) == (
        len(truth.scores),
        promoters,
        detractors,
    )
    assert nps["nps"] == round(100 * (promoters - detractors) / len(truth.scores), 1)
    assert report["surveys"]["nps"]["responses"] == 120  # the held-out answered too


def test_true_rates_and_differences_lie_inside_their_intervals(
    population: tuple[dict, Truth],  # type: ignore[type-arg]
) -> None:
    report, _ = population
    found = arms(report)
    for name in ("holdout", "a", "b"):
        low, high = found[name]["interval"]
        assert low <= TRUE_RATES[name] <= high, (name, low, high)
    low, high = found["b"]["vs_reference"]["interval"]
    assert low <= TRUE_RATES["b"] - TRUE_RATES["a"] <= high
    uplift = report["journeys"][0]["holdout"]
    treated_rate = (TRUE_RATES["a"] + TRUE_RATES["b"]) / 2
    assert uplift["interval"][0] <= treated_rate - TRUE_RATES["holdout"] <= uplift["interval"][1]


def test_the_decision_names_the_arm_that_truly_converts_better(
    population: tuple[dict, Truth],  # type: ignore[type-arg]
) -> None:
    report, _ = population
    subject = next(s for s in report["journeys"][0]["splits"] if s["step"] == "subject")
    assert subject["test"]["method"] == "two_proportion_z"
    assert subject["test"]["p_value"] < 0.001
    assert subject["test"]["decision"].startswith("`b` converts better than `a`")


def test_wilson_and_newcombe_cover_the_truth_at_their_stated_rate() -> None:
    """400 samples of known rates: each 95% interval holds the truth about 95% of the time."""
    rng = random.Random(7)
    hits_one = hits_two = 0
    runs = 400
    for _ in range(runs):
        x1 = sum(rng.random() < 0.12 for _ in range(150))
        x2 = sum(rng.random() < 0.20 for _ in range(150))
        low, high = wilson_interval(x1, 150)
        hits_one += low <= 0.12 <= high
        low, high = newcombe_interval(x2, 150, x1, 150)
        hits_two += low <= 0.08 <= high
    assert hits_one / runs >= 0.92 and hits_two / runs >= 0.92


def test_revenue_per_entrant_is_exact_with_an_interval_around_the_truth(
    population: tuple[dict, Truth],  # type: ignore[type-arg]
) -> None:
    report, truth = population
    found = arms(report)
    mean_order = (100 + 250 + 399) / 3
    for name in ("holdout", "a", "b"):
        for currency in ("SEK", "USD"):
            row = found[name]["revenue_per_entrant"][currency]
            assert row["mean"] == pytest.approx(truth.revenue[name][currency] / truth.entered[name])
            low, high = row["interval"]
            assert low < TRUE_RATES[name] * mean_order / 2 < high, (name, currency)
    versus = found["b"]["vs_reference"]["revenue_per_entrant_difference"]["SEK"]
    assert versus["difference"] == pytest.approx(
        found["b"]["revenue_per_entrant"]["SEK"]["mean"]
        - found["a"]["revenue_per_entrant"]["SEK"]["mean"]  # the reference of `subject`
    )
    assert versus["interval"][0] < versus["difference"] < versus["interval"][1]

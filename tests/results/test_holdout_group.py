"""The workspace's holdout group: no marketing journey reaches it; the report measures the lift.

A population with a known effect (fixed seed): reached contacts buy at 30 %,
held-out ones at 10 %. The journeys run on the real engine and a real store.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from scipy import stats as scipy_stats

from journey.engine.context import EngineSettings
from journey.holdout import Holdout, build_holdout
from journey.localtime import parse_instant
from journey.model import END, EventTrigger, Plan, SendStep
from journey.results import stats
from journey.results.conversions import ConversionEvent, ConversionSettings
from journey.results.report import ReportOptions, build_report
from tests.engine.engine_world import World

HOLDOUT = Holdout(percent=20, salt="2026-h1")
START = parse_instant("2026-03-02T08:00:00Z")
SETTINGS = ConversionSettings(
    events={"order_placed": ConversionEvent(name="order_placed", value="total", currency="cur")}
)


def journey(journey_id: str, category: str) -> Plan:
    mail = SendStep(id="mail", next=END, channel="email", template="t/mail", message="email")
    return Plan(
        journey_id=journey_id,
        name=journey_id,
        kind="onboarding",
        category=category,  # type: ignore[arg-type]
        trigger=EventTrigger(event="signed_up"),
        steps=(mail,),
    )


def test_membership_is_stable_and_close_to_the_percent() -> None:
    ids = [f"c{n}" for n in range(20_000)]
    held = [c for c in ids if HOLDOUT.holds_out(c)]
    assert abs(len(held) / len(ids) - 0.20) < 0.01
    assert held == [c for c in ids if Holdout(percent=20, salt="2026-h1").holds_out(c)]
    assert held != [c for c in ids if Holdout(percent=20, salt="other").holds_out(c)]
    assert build_holdout({"percent": 0}) is None and build_holdout({"percent": 80}) is None
    assert build_holdout({"percent": 5}) == Holdout(percent=5.0, salt="holdout")


def test_holdout_members_get_no_marketing_send_but_transactional_ones(tmp_path: Path) -> None:
    world = World(tmp_path, START, settings=EngineSettings(holdout=HOLDOUT))
    world.load(journey("promo", "marketing"), journey("receipt", "transactional"))
    people = [f"p{n:03d}" for n in range(300)]
    for contact_id in people:
        world.contact(id=contact_id)
        world.event("signed_up", contact_id=contact_id)
    world.advance(timedelta(hours=1))
    touches = world.store.message_touches()
    held = {c for c in people if HOLDOUT.holds_out(c)}
    assert held  # the draw holds some out
    promo = {t.contact_id for t in touches if t.journey_id == "promo" and t.reached_contact}
    receipt = {t.contact_id for t in touches if t.journey_id == "receipt" and t.reached_contact}
    assert promo == set(people) - held
    assert receipt == set(people)


def test_the_report_recovers_the_programme_lift(tmp_path: Path) -> None:
    rng = random.Random(20261202)
    world = World(tmp_path, START, settings=EngineSettings(holdout=HOLDOUT))
    world.load(journey("promo", "marketing"))
    people = [f"p{n:04d}" for n in range(1000)]
    for contact_id in people:
        world.contact(id=contact_id)
        world.event("signed_up", contact_id=contact_id)
    world.advance(timedelta(days=1))
    buyers = {"held_out": 0, "reached": 0}
    spent: dict[str, list[float]] = {"held_out": [], "reached": []}
    for contact_id in people:
        group = "held_out" if HOLDOUT.holds_out(contact_id) else "reached"
        bought = rng.random() < (0.10 if group == "held_out" else 0.30)
        spent[group].append(100.0 if bought else 0.0)
        if bought:
            buyers[group] += 1
            world.event("order_placed", contact_id=contact_id, total=100, cur="SEK")
    report = build_report(
        world.store, {"promo": journey("promo", "marketing")}, SETTINGS,
        options=ReportOptions(holdout=HOLDOUT),
    )  # fmt: skip
    programme = report["programme"]
    held, reached = programme["held_out"], programme["reached"]
    assert held["contacts"] == len(spent["held_out"]) and held["converted"] == buyers["held_out"]
    assert reached["converted"] == buyers["reached"]
    assert programme["held_out_messaged"] == 0
    assert programme["messaged"] == reached["contacts"]
    low, high = programme["interval"]
    assert low < 0.30 - 0.10 < high and low > 0  # the true lift, and it is real
    # revenue per contact: the normal interval on the mean, as scipy computes it
    revenue = reached["revenue_per_contact"]["SEK"]
    expected = scipy_stats.norm.interval(
        0.95, loc=sum(spent["reached"]) / len(spent["reached"]),
        scale=scipy_stats.sem(spent["reached"]),
    )  # fmt: skip
    assert revenue["interval"] == [
        pytest_approx(expected[0]),
        pytest_approx(expected[1]),
    ]


def pytest_approx(value: float) -> object:
    import pytest

    return pytest.approx(value, rel=1e-9)


def test_the_difference_of_means_matches_welchs_standard_error() -> None:
    rng = random.Random(3)
    a = [rng.expovariate(1 / 50) for _ in range(80)]
    b = [rng.expovariate(1 / 40) for _ in range(60)]
    difference, low, high = stats.mean_difference_interval(a, b, 0.9)
    error = (scipy_stats.sem(a) ** 2 + scipy_stats.sem(b) ** 2) ** 0.5
    expected = scipy_stats.norm.interval(0.9, loc=difference, scale=error)
    assert (low, high) == (
        pytest_approx(expected[0]),
        pytest_approx(expected[1]),
    )

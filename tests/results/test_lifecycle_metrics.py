"""Churn, retention from activity and lifetime value recover a population whose truth is known.

Each contact follows one of four activity patterns (fixed seed) on the real
engine and a real SQLite store: loyal (a session every 10 days), lapsed (one
session, then silence), silent (nothing) and returner (away 45 days, then back).
The churn rule is "no session_started for 30d"; the report is read at day 70.
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
from journey.model import Duration, EventTrigger, Plan
from journey.results.conversions import ChurnRule, ConversionEvent, ConversionSettings
from journey.results.report import ReportOptions, build_report
from tests.engine.engine_world import World
from tests.results.test_known_effects import SUBJECT, mail

START = parse_instant("2026-03-02T08:00:00Z")  # a Monday
AS_OF_DAY = 70
PATTERNS = {
    "loyal": list(range(10, AS_OF_DAY, 10)),
    "lapsed": [5],
    "silent": [],
    "returner": [5, 50],
}
SETTINGS = ConversionSettings(
    events={"order_placed": ConversionEvent(name="order_placed", value="total", currency="cur")},
    churn=ChurnRule(
        inactive_after=Duration(calendar_days=30, text="30d"), activity=("session_started",)
    ),
    lifetime_value_days=30,
)
SPLIT = SUBJECT  # the 50/50 subject split of the known-effects population


WELCOME = Plan(
    journey_id="welcome",
    name="Welcome",
    kind="onboarding",
    trigger=EventTrigger(event="signed_up"),
    steps=(SPLIT, mail("mail-a"), mail("mail-b")),
)
NEWSLETTER = Plan(
    journey_id="newsletter",
    name="Newsletter",
    kind="onboarding",
    trigger=EventTrigger(event="newsletter_joined"),
    steps=(mail("hello"),),
)


@dataclass
class Person:
    id: str
    entry_day: int
    pattern: str
    orders: list[tuple[int, int, str]] = field(default_factory=list)  # day, total, currency

    @property
    def sessions(self) -> list[int]:
        return [self.entry_day + d for d in PATTERNS[self.pattern]]

    def churned(self) -> bool:
        return self.pattern != "loyal"

    def inactive_at_end(self) -> bool:
        return self.pattern in ("lapsed", "silent")

    def active_in_week(self, n: int) -> bool:
        return any((n - 1) * 7 < d <= n * 7 for d in PATTERNS[self.pattern])


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[Person]]:  # type: ignore[type-arg]
    rng = random.Random(20261202)
    people = [
        Person(f"p{n:04d}", entry_day=7 * (n % 2), pattern=rng.choice(list(PATTERNS)))
        for n in range(240)
    ]
    for person in people:
        for offset in rng.sample((3, 12, 30, 45), rng.randint(0, 3)):  # 45: after the 30 days
            day = person.entry_day + offset  # one order a day: an event's id has its instant
            person.orders.append((day, rng.choice((100, 250)), rng.choice(("SEK", "USD"))))
    newcomers = [Person(f"n{n:03d}", entry_day=0, pattern="silent") for n in range(20)]
    world = World(Path(tmp_path_factory.mktemp("lifecycle")), START)
    world.load(WELCOME, NEWSLETTER)
    for day in range(AS_OF_DAY):
        for person in people:
            if day == person.entry_day:
                world.contact(id=person.id)
                world.event("signed_up", contact_id=person.id)
                if person.id < "p0020":
                    world.event("newsletter_joined", contact_id=person.id)
            if day in person.sessions:
                world.event("session_started", contact_id=person.id)
            for order_day, total, currency in person.orders:
                if order_day == day:
                    world.event("order_placed", contact_id=person.id, total=total, cur=currency)
        if day == 0:
            for person in newcomers:
                world.contact(id=person.id)
                world.event("newsletter_joined", contact_id=person.id)
        world.advance(timedelta(days=1))
    as_of = START + timedelta(days=AS_OF_DAY)
    plans = {"welcome": WELCOME, "newsletter": NEWSLETTER}
    report = build_report(world.store, plans, SETTINGS, options=ReportOptions(as_of=as_of))
    world.store.close()
    return report, people + newcomers


def journey_of(report: dict, journey_id: str) -> dict:  # type: ignore[type-arg]
    return next(j for j in report["journeys"] if j["id"] == journey_id)


def test_churn_counts_the_entrants_who_went_quiet_for_30_days(
    population: tuple[dict, list[Person]],  # type: ignore[type-arg]
) -> None:
    report, everyone = population
    people = [p for p in everyone if p.id.startswith("p")]
    figure = journey_of(report, "welcome")["churn"]
    assert figure["contacts"] == len(people)
    assert figure["churned"] == sum(p.churned() for p in people)
    assert figure["inactive_at_end"] == sum(p.inactive_at_end() for p in people)
    assert figure["churn_rate"] == figure["churned"] / len(people)
    assert figure["period"] == {
        "from": START.isoformat(),
        "to": (START + timedelta(days=AS_OF_DAY)).isoformat(),
    }
    assert figure["rule"] == "no session_started for 30d"


def test_a_lifecycle_stage_counts_each_contact_once_across_its_journeys(
    population: tuple[dict, list[Person]],  # type: ignore[type-arg]
) -> None:
    report, everyone = population
    stage = next(s for s in report["stages"] if s["stage"] == "onboarding")
    assert stage["churn"]["contacts"] == len(everyone)  # 20 in both journeys, counted once
    assert stage["churn"]["churned"] == sum(p.churned() for p in everyone)
    newsletter = journey_of(report, "newsletter")["churn"]
    joined = [p for p in everyone if p.id < "p0020" or p.id.startswith("n")]
    assert (newsletter["contacts"], newsletter["churned"]) == (
        len(joined),
        sum(p.churned() for p in joined),
    )


def test_retention_cohorts_give_the_share_active_in_each_week_since_entry(
    population: tuple[dict, list[Person]],  # type: ignore[type-arg]
) -> None:
    report, everyone = population
    rows = journey_of(report, "welcome")["retention"]
    assert [r["week"] for r in rows] == ["2026-03-02", "2026-03-09"]
    for row, entry_day in zip(rows, (0, 7), strict=True):
        members = [p for p in everyone if p.id.startswith("p") and p.entry_day == entry_day]
        assert row["entered"] == len(members)
        weeks = (AS_OF_DAY - entry_day) // 7
        assert len(row["active_by_week"]) == min(weeks, 12)
        for n, share in enumerate(row["active_by_week"], start=1):
            assert share == sum(p.active_in_week(n) for p in members) / len(members), n


def test_lifetime_value_sums_30_days_of_orders_per_currency_per_journey_and_arm(
    population: tuple[dict, list[Person]],  # type: ignore[type-arg]
) -> None:
    report, everyone = population
    people = [p for p in everyone if p.id.startswith("p")]
    per_arm: dict[str, Counter[str]] = defaultdict(Counter)
    entrants: Counter[str] = Counter()
    for person in people:
        arm = split_arm(SPLIT, "welcome", person.id)[0]
        entrants[arm] += 1
        for day, total, currency in person.orders:
            if person.entry_day < day <= person.entry_day + 30:
                per_arm[arm][currency] += total
    value = journey_of(report, "welcome")["lifetime_value"]
    total = per_arm["a"] + per_arm["b"]
    assert (value["days"], value["contacts"], value["not_yet"]) == (30, len(people), 0)
    assert value["revenue"] == {c: float(v) for c, v in sorted(total.items())}
    assert value["per_contact"] == {c: round(v / len(people), 2) for c, v in sorted(total.items())}
    arms = {a["name"]: a for a in journey_of(report, "welcome")["splits"][0]["arms"]}
    for name in ("a", "b"):
        assert arms[name]["lifetime_value"]["contacts"] == entrants[name]
        assert arms[name]["lifetime_value"]["revenue"] == {
            c: float(v) for c, v in sorted(per_arm[name].items())
        }


def test_retention_weeks_are_local_weeks_that_keep_the_wall_clock_across_summer_time() -> None:
    """Stockholm moves to summer time on Sunday 29 March 2026."""
    from zoneinfo import ZoneInfo

    from journey.model import Event
    from journey.results.activity import Activity, retention_cohorts
    from journey.store.result_rows import EnrollmentOutcome

    zone = ZoneInfo("Europe/Stockholm")

    def entered(contact_id: str, at: str) -> EnrollmentOutcome:
        return EnrollmentOutcome(
            enrollment_id=contact_id, journey_id="j", contact_id=contact_id,
            entered_at=parse_instant(at),
        )  # fmt: skip

    def session(contact_id: str, at: str) -> Event:
        return Event(id=at, name="session_started", contact_id=contact_id,
                     timestamp=parse_instant(at), properties={})  # fmt: skip

    outcomes = [
        entered("monday", "2026-03-23T08:00:00Z"),  # Monday 09:00 CET
        entered("sunday-night", "2026-03-22T22:30:00Z"),  # Sunday 23:30 CET: the week before
    ]
    # 7 local days after Monday 09:00 CET is Monday 30 March 09:00 CEST (07:00Z), an hour
    # earlier than 7 x 24 hours; 09:30 CEST is in the second week since entry, not the first.
    activity = Activity(
        [
            session("monday", "2026-03-30T07:30:00Z"),
            session("sunday-night", "2026-03-23T06:00:00Z"),
        ],
        ["session_started"],
    )
    rows = retention_cohorts(outcomes, activity, zone, parse_instant("2026-04-07T00:00:00Z"))
    assert [(r["week"], r["entered"]) for r in rows] == [("2026-03-16", 1), ("2026-03-23", 1)]
    assert rows[0]["active_by_week"] == [1.0, 0.0]  # Sunday-night contact: active in week 1
    assert rows[1]["active_by_week"] == [0.0, 1.0]

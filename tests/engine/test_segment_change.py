"""Re-checking a segment only when its condition can change enters the same contacts at the
same moments as re-checking every contact at every tick.

The reference is the hourly scan itself, written out: at each tick and each event the
condition is evaluated for every contact with the engine's own expression scope, and a
contact enters on every false-to-true edge. Contacts also move between plans now and
then, so a condition guarded by an attribute (`contact.plan == 'trial' and ...`) is seen
to wait for the contact's change, not for the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey.engine.context import EngineSettings
from journey.engine.triggers import scope_for
from journey.errors import ExpressionError
from journey.localtime import parse_instant
from journey.model import Contact, Duration, Event, Plan, SegmentTrigger
from tests.engine.engine_world import World
from tests.engine.test_triggers import plan

START = parse_instant("2026-03-02T08:00:00Z")
HOURS = 72

CONDITIONS = [
    "days_since(contact.started) > {k}",
    "days_since(contact.started) >= {k} and contact.plan == 'trial'",
    "{k} == days_since(contact.started)",
    "days_since(contact.started) % 2 == 0",
    "has_event('login', within='{w}h')",
    "not has_event('login', within='{w}h')",
    "event_count('login', '{w}h') >= {n}",
    "contact.created_at < now",
    "has_event('login', within='{w}h') or days_since(contact.started) < {k}",
    "now.hour >= {h}",
    "contact.plan == 'trial' and days_since(contact.started) >= {k}",
    "contact.plan == 'paid' or has_event('login', within='{w}h')",
    "not (contact.plan == 'trial' and has_event('login', within='{w}h'))",
    "contact.plan in ['trial'] and ((contact.score or 0) >= {n}"
    " or (contact.started is not none and days_since(contact.started) >= {k}))",
    "(contact.score > {n} or days_since(contact.started) > {k}) and contact.plan == 'paid'",
    "contact.plan > {n} or days_since(contact.started) > {k}",  # the guard fails: so does all
]


@dataclass
class ListHistory:
    """A contact's logins as a plain list: what the store answers, without a store."""

    times: list[datetime] = field(default_factory=list)

    def count_events(self, name: str, since: datetime | None, until: datetime) -> int:
        return sum(1 for t in self.times if (since is None or t >= since) and t <= until)

    def marketing_send_times(self, since: datetime) -> list[datetime]:
        return []

    def last_event_at(self, name: str, until: datetime) -> datetime | None:
        return max((t for t in self.times if t <= until), default=None)

    def first_event_at(self, name: str, since: datetime) -> datetime | None:
        return min((t for t in self.times if t >= since), default=None)

    def last_event(self, name: str, until: datetime) -> Event | None:
        at = self.last_event_at(name, until)
        return Event(id=f"{name}@{at}", name=name, contact_id="c", timestamp=at) if at else None


Population = tuple[str, int, list[dict[str, object]], list[tuple[str, int, str | None]]]


@st.composite
def populations(draw: st.DrawFn) -> Population:
    template = draw(st.sampled_from(CONDITIONS))
    condition = template.format(
        k=draw(st.integers(-1, 4)),
        w=draw(st.integers(1, 30)),
        n=draw(st.integers(1, 3)),
        h=draw(st.integers(0, 23)),
    )
    recheck_minutes = draw(st.sampled_from([30, 60, 120, 1440]))
    contacts = []
    for number in range(draw(st.integers(1, 3))):
        offset = draw(st.integers(-96, 48))  # hours from the start
        as_date = draw(st.booleans())
        started = START + timedelta(hours=offset)
        record: dict[str, object] = {
            "id": f"c{number}",
            "plan": draw(st.sampled_from(["trial", "paid"])),
            "score": draw(st.none() | st.integers(0, 4)),
        }
        if draw(st.integers(0, 5)):  # now and then a contact without a start
            record["started"] = started.date().isoformat() if as_date else started.isoformat()
        contacts.append(record)
    # a login (None), or the contact moving to that plan
    happenings = draw(
        st.lists(
            st.tuples(
                st.sampled_from([c["id"] for c in contacts]),
                st.integers(0, HOURS * 60 - 1).filter(lambda m: m % 30 != 0),
                st.none() | st.sampled_from(["trial", "paid"]),
            ),
            max_size=6,
            unique_by=lambda login: login[1],  # one event per instant: ids are by time
        )
    )
    return condition, recheck_minutes, contacts, sorted(happenings, key=lambda h: h[1])


def _segment(condition: str, recheck_minutes: int) -> Plan:
    trigger = SegmentTrigger(condition=condition, recheck=Duration(seconds=60 * recheck_minutes))
    return plan(trigger, reentry="always")


def _engine_entries(
    tmp: Path, condition: str, recheck: int, contacts: list[dict[str, object]], happenings: list
) -> list[tuple[str, datetime]]:
    world = World(tmp, START)
    world.load(_segment(condition, recheck))
    for record in contacts:
        world.contact(**record)
    for contact_id, minute, moved_to in happenings:
        world.advance(START + timedelta(minutes=minute))
        if moved_to is None:
            world.event("login", contact_id)
        else:
            world.contact(id=contact_id, plan=moved_to)
    world.finish(START + timedelta(hours=HOURS))
    return sorted((h.contact_id, h.at) for h in world.happenings if h.kind == "enter")


def _scan_entries(
    condition: str, recheck: int, contacts: list[dict[str, object]], happenings: list
) -> list[tuple[str, datetime]]:
    """Every contact at every tick (and at each of its events), as the hourly scan did."""
    segment = _segment(condition, recheck)
    engine_settings = EngineSettings()
    people = {
        str(r["id"]): Contact(
            id=str(r["id"]),
            attributes={k: v for k, v in r.items() if k != "id"},
            created_at=START,
        )
        for r in contacts
    }
    histories = {contact_id: ListHistory() for contact_id in people}
    matched: dict[str, bool] = dict.fromkeys(people, False)
    entries: list[tuple[str, datetime]] = []

    def check(contact_id: str, now: datetime) -> None:
        scope = scope_for(segment, people[contact_id], histories[contact_id], now, engine_settings)
        try:
            matches = scope.holds(condition)
        except ExpressionError:
            matches = False
        if matches and not matched[contact_id]:
            entries.append((contact_id, now))
        matched[contact_id] = matches

    moments: list[tuple[datetime, str | None, str | None]] = [(START, c, None) for c in people]
    moments += [(START + timedelta(minutes=m), c, moved_to) for c, m, moved_to in happenings]
    tick = START + timedelta(minutes=recheck)
    while tick <= START + timedelta(hours=HOURS):
        moments.append((tick, None, None))
        tick += timedelta(minutes=recheck)
    for now, contact_id, moved_to in sorted(moments, key=lambda m: m[0]):
        if contact_id is None:
            for every in people:
                check(every, now)
        else:
            person = people[contact_id]
            if moved_to is not None:
                attributes = {**person.attributes, "plan": moved_to}
                people[contact_id] = replace(person, attributes=attributes)
            elif now > START:
                histories[contact_id].times.append(now)
            check(contact_id, now)
    return sorted(entries)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations())
def test_rechecking_when_the_condition_can_change_equals_the_hourly_scan(
    population: Population,
) -> None:
    condition, recheck, contacts, happenings = population
    with TemporaryDirectory() as tmp:
        engine = _engine_entries(Path(tmp), condition, recheck, contacts, happenings)
    assert engine == _scan_entries(condition, recheck, contacts, happenings), condition

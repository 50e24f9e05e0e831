"""When a segment can next change is worked out from the parts of its condition, read by
their closures; the sandbox reading the same parts gives the same instant.

The closures are the fast path (no contact values built, no template run); the sandbox is
what the engine always ran. Both are asked about the same conditions, contacts and
moments, including attributes that are missing, of the wrong type or unparseable.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journey.engine import segment_change
from journey.engine.context import EngineSettings, EvalScope
from journey.engine.segment_change import next_change
from journey.engine.triggers import scope_for
from journey.localtime import parse_instant
from journey.model import Contact, Duration, SegmentTrigger
from tests.engine.test_segment_change import ListHistory
from tests.engine.test_triggers import plan

NOW = parse_instant("2026-03-02T08:00:00Z")

CONDITIONS = [
    "days_since(contact.started) >= 3",
    "days_since(contact['started']) < 2 and contact.plan == 'trial'",
    "contact.plan == 'trial' and days_since(contact.started) >= 3",
    "contact.plan in ['trial', 'paid'] and ((contact.score or 0) >= 3"
    " or (contact.started is not none and days_since(contact.started) >= 45))",
    "contact.score > 2 or days_since(contact.started) > 1",
    "not (contact.plan == 'paid' or has_event('login', within='2d'))",
    "contact.started < now",
    "contact.meta.at > now and contact.plan != 'paid'",
    "days_since(contact.meta.at) == 4",
    "days_since(contact.started)",
    "event_count('login', '3d') > 1 or contact.items",
    "contact.get and days_since(contact.started) > 2",
    "days_since(contact.started.year) > 2",
]

# mostly within days of now, where the day counts of the conditions flip
_HOURS = st.integers(-5 * 24, 5 * 24) | st.integers(-50 * 24, 10 * 24)
_INSTANT = _HOURS.map(lambda h: NOW + timedelta(hours=h, minutes=7))
_ATTRIBUTE = st.one_of(
    st.none(),
    st.integers(-3, 6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["trial", "paid", "", "not a date", "2026-02-30", "2026-02-27"]),
    _INSTANT.map(lambda t: t.isoformat()),
    _INSTANT.map(lambda t: t.date().isoformat()),
    _INSTANT.map(lambda t: t.isoformat().replace("+00:00", "")),  # naive: no instant
    st.booleans(),
    st.lists(st.integers(0, 3), max_size=2),
)


@st.composite
def moments(draw: st.DrawFn) -> tuple[str, EvalScope]:
    condition = draw(st.sampled_from(CONDITIONS))
    attributes: dict[str, Any] = {}
    for name in ("started", "plan", "score", "items", "get"):
        if draw(st.integers(0, 3)):
            attributes[name] = draw(_ATTRIBUTE)
    if draw(st.booleans()):
        attributes["meta"] = {"at": draw(_ATTRIBUTE)}
    logins = draw(st.lists(st.integers(-5 * 24, 2 * 24), max_size=3))
    contact = Contact(id="c1", attributes=attributes, created_at=NOW - timedelta(days=9))
    segment = plan(SegmentTrigger(condition=condition, recheck=Duration(seconds=3600)))
    history = ListHistory(sorted(NOW + timedelta(hours=h, minutes=3) for h in logins))
    scope = scope_for(segment, contact, history, NOW, EngineSettings())
    return condition, scope


def _through_the_sandbox(part: Any, scope: EvalScope) -> Any:
    return part.evaluate(scope.variables())


@settings(max_examples=600, deadline=None)
@given(moments())
def test_the_closures_find_the_instant_the_sandbox_finds(moment: tuple[str, EvalScope]) -> None:
    condition, scope = moment
    fast = next_change(condition, scope)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(segment_change, "_value", _through_the_sandbox)
        slow = next_change(condition, scope)
    assert fast == slow, condition


def test_the_guards_of_a_churn_segment_read_the_contact_and_nothing_else() -> None:
    churn = CONDITIONS[3]
    history = ListHistory()
    off_plan = Contact(id="c1", attributes={"plan": "free", "started": "2026-02-01"})
    at_risk = Contact(id="c2", attributes={"plan": "paid", "score": 5, "started": "2026-02-01"})
    waiting = Contact(id="c3", attributes={"plan": "paid", "started": "2026-02-01"})
    segment = plan(SegmentTrigger(condition=churn))
    found: dict[str, datetime | None] = {}
    for contact in (off_plan, at_risk, waiting):
        scope = scope_for(segment, contact, history, NOW, EngineSettings())
        change = next_change(churn, scope)
        assert change is None or isinstance(change, datetime)
        found[contact.id] = change
    assert found == {"c1": None, "c2": None, "c3": parse_instant("2026-03-18T00:00:00Z")}

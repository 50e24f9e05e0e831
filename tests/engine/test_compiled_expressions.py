"""Audience, `where`, branch, goal and exit_when expressions in the simple subset run as
closures (journey.expression_closures) instead of in the sandbox; for every expression
and every contact, event and entry a marketer can have, the answer (a value, or the
error and its message) must be the sandbox's. Expressions outside the subset still run
in the sandbox, under its budget."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import Undefined

from journey.engine.context import EngineSettings, EvalScope
from journey.event_properties import AbsentProperty, declared_properties
from journey.expression_closures import MAX_CALLS
from journey.expressions import compile_expression
from journey.model import Contact, Event
from journey.records import Entry

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# declared event properties: one an event lacks reads as absent (journey.event_properties)
SETTINGS = EngineSettings(
    declared_attributes=("plan", "unsubscribed", "vip"),
    event_properties=declared_properties(
        {"signup": {"plan": "string", "score": "number", "items": "list", "declared": "string"},
         "order": {"when": "string", "get": "string"}}
    ),
)  # fmt: skip
FIELDS = ("plan", "score", "tags", "when", "vip", "unsubscribed", "items", "get", "declared",
          "missing")  # fmt: skip
RESERVED = ("id", "email", "locale", "timezone", "created_at", "consent", "topics")


class _History:
    """Event counts by name; a list as the name fails as a real store's lookup would."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def count_events(self, name: Any, since: datetime | None, until: datetime) -> int:
        return self.counts.get(name, 0)


# ------------------------------------------------------------------ contexts

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.integers(-(2**80), 2**80),
    st.floats(), st.text(max_size=4),
    st.sampled_from(["trial", "gold", "SE", "de", "a b", "2026-01-01", "2026-02-01T10:00:00Z",
                     "2026-02-01T10:00:00", "not a date"]),
    st.datetimes(timezones=st.sampled_from([UTC, ZoneInfo("Europe/Stockholm")])),
    st.datetimes(), st.dates(),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3)
    ),
    max_leaves=5,
)
properties = st.dictionaries(st.sampled_from((*FIELDS, "a b")), values, max_size=4)
contacts = st.builds(
    Contact,
    id=st.just("c1"),
    email=st.one_of(st.none(), st.just("ana@example.com")),
    locale=st.one_of(st.none(), st.sampled_from(["de", "sv_SE"])),
    created_at=st.one_of(st.none(), st.just(datetime(2026, 1, 5, tzinfo=UTC))),
    consent=st.dictionaries(st.sampled_from(["email", "sms"]), st.booleans(), max_size=2),
    topics=st.dictionaries(
        st.sampled_from(["news"]), st.dictionaries(st.just("email"), st.booleans()), max_size=1
    ),
    attributes=st.dictionaries(st.sampled_from((*FIELDS, *RESERVED)), values, max_size=5),
)
events = st.one_of(
    st.none(),
    st.builds(Event, id=st.just("e1"), name=st.sampled_from(["signup", "order"]),
              contact_id=st.just("c1"), timestamp=st.just(datetime(2026, 3, 1, tzinfo=UTC)),
              properties=properties),
)  # fmt: skip
entries = st.one_of(
    st.none(),
    st.builds(Entry, name=st.sampled_from(["signup", "order"]),
              timestamp=st.just(datetime(2026, 2, 1, tzinfo=UTC)), properties=properties),
)  # fmt: skip
counts = st.dictionaries(st.sampled_from(["signup", "order"]), st.integers(0, 3), max_size=2)


@st.composite
def scopes(draw: st.DrawFn) -> Callable[[], EvalScope]:
    """A way to build the same scope afresh (a scope caches what it has read)."""
    contact, event, entry, kept, history = (
        draw(contacts), draw(events), draw(entries), draw(entries), _History(draw(counts))
    )  # fmt: skip

    def scope() -> EvalScope:
        return EvalScope(
            contact=contact, history=history, now=NOW, zone=ZoneInfo("UTC"), settings=SETTINGS,
            event=event, entry=entry, events={"survey": kept} if kept else {},
        )  # type: ignore[arg-type]  # fmt: skip

    return scope


# --------------------------------------------------------------- expressions


def _string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


literals = st.one_of(
    st.sampled_from(["none", "None", "true", "false", "True", "0", "1", "-1", "0.5", "-0.0",
                     "'trial'", "'gold'", "'SE'", "'2026-01-01'"]),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(alphabet=st.characters(exclude_characters="\r"), max_size=4).map(_string),
)  # fmt: skip
lists = st.lists(literals, max_size=3).map(lambda items: "[" + ", ".join(items) + "]")
lookups = st.one_of(
    st.sampled_from((*FIELDS, *RESERVED)).map("contact.{}".format),
    st.sampled_from(FIELDS).map("contact['{}']".format),
    st.sampled_from((*FIELDS, "a b")).map("event.properties['{}']".format),
    st.sampled_from(FIELDS).map("event.properties.{}".format),
    st.sampled_from(FIELDS).map("entry.properties.{}".format),
    st.sampled_from(["event", "entry", "events", "now", "now.day", "now.hour", "event.name",
                     "event.timestamp", "event.timestamp.year", "entry.name", "entry.timestamp",
                     "events.survey.properties.score", "events.survey.name", "events.nps",
                     "contact.consent.email", "contact.topics.news.email", "contact.when.year",
                     "contact.when.day", "contact.plan.upper", "contact.__class__",
                     "contact.tags.items", "event.properties.plan.x", "entry.x", "now.tzinfo",
                     "event.properties.when.hour", "contact.vip.real", "contact['keys']"]),
)  # fmt: skip
calls = st.sampled_from(
    ["has_event('signup')", "has_event('order', within='7d')", "event_count('order')",
     "event_count('signup', within='30d')", "has_event('order', within='bogus')",
     "has_event()", "event_count('order', 'x', 'y')", "has_event(contact.tags)",
     "days_since(contact.when)", "days_since(event.properties.when)", "days_since('2026-01-01')",
     "days_since(value=contact.created_at)", "days_since(contact.nothing)"]
)  # fmt: skip
outside = st.sampled_from(["contact.plan | length", "contact.score + 1", "contact", "range(3)",
                           "x", "contact.plan ~ 'a'", "contact.get('plan')"])  # fmt: skip
atoms = st.one_of(literals, lists, lookups, lookups, calls, outside)
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
TESTS = ("is none", "is not none", "is defined", "is undefined", "is true", "is not false")


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    op = st.sampled_from(COMPARISONS)
    return st.one_of(
        st.tuples(inner, op, inner).map("({0[0]} {0[1]} {0[2]})".format),
        st.tuples(inner, op, inner, op, inner).map("({0[0]} {0[1]} {0[2]} {0[3]} {0[4]})".format),
        st.tuples(inner, inner).map("({0[0]} and {0[1]})".format),
        st.tuples(inner, inner).map("({0[0]} or {0[1]})".format),
        inner.map("(not {})".format),
        inner.map("(-{})".format),
        st.tuples(inner, st.sampled_from(TESTS)).map("({0[0]} {0[1]})".format),
        st.tuples(inner, inner, inner).map("({0[0]} if {0[1]} else {0[2]})".format),
    )


expressions = st.recursive(atoms, lambda inner: _compound(inner), max_leaves=6)


# ------------------------------------------------------------------- answers


def _answer(run: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        return ("value", run())
    except Exception as exc:  # the error's class and message are part of the answer
        return ("raised", type(exc).__name__, str(exc))


def _sandbox_holds(scope: Callable[[], EvalScope], source: str) -> tuple[Any, ...]:
    return _answer(lambda: bool(compile_expression(source).evaluate(scope().variables())))


def _same_value(fast: Any, slow: Any) -> bool:
    if isinstance(fast, AbsentProperty):
        fast = None  # as `evaluate` gives an absent property for the whole expression's value
    if isinstance(slow, Undefined):
        return type(fast) is type(slow)
    if isinstance(slow, float) and math.isnan(slow):
        return isinstance(fast, float) and math.isnan(fast)
    return type(fast) is type(slow) and bool(fast is slow or fast == slow)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scope=scopes(), source=expressions)
def test_every_expression_holds_as_the_sandbox_says(
    scope: Callable[[], EvalScope], source: str
) -> None:
    assert _answer(lambda: scope().holds(source)) == _sandbox_holds(scope, source)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scope=scopes(), source=expressions)
def test_what_a_closure_answers_is_the_sandboxs_value(
    scope: Callable[[], EvalScope], source: str
) -> None:
    """Stronger than truthiness: the very value, so `and`/`or` pass on the same operand."""
    _check_value(scope, source)


def _check_value(scope: Callable[[], EvalScope], source: str) -> None:
    closure = compile_expression(source).closure
    if closure is None:
        return
    try:
        fast = closure(scope())
    except Exception:  # the engine asks the sandbox then: the test above covers it
        return
    slow = compile_expression(source).evaluate(scope().variables())  # must not raise either
    assert _same_value(fast, slow), (fast, slow)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scope=scopes(),
    left=st.one_of(literals, lookups),
    op=st.sampled_from(COMPARISONS),
    right=st.one_of(literals, lists, lookups),
)
def test_one_comparison_holds_as_the_sandbox_says(
    scope: Callable[[], EvalScope], left: str, op: str, right: str
) -> None:
    """Every operator against every kind of value, none and undefined among them."""
    source = f"{left} {op} {right}"
    assert _answer(lambda: scope().holds(source)) == _sandbox_holds(scope, source)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scope=scopes(), source=lookups)
def test_one_lookup_reads_what_the_sandbox_reads(
    scope: Callable[[], EvalScope], source: str
) -> None:
    """A key, a missing key, a dict method's name, a declared but absent property."""
    _check_value(scope, source)
    assert _answer(lambda: scope().holds(source)) == _sandbox_holds(scope, source)


# The examples' own expressions (journeys/examples), on a contact who has every field.
EXAMPLES = [
    "contact.unsubscribed",
    "event.properties.plan == 'trial'",
    "contact.email is not none and contact.country in ['SE', 'CN', 'US', 'GB', 'DE', 'FI']",
    "has_event('taste_profile_completed') and event_count('brew_guide_viewed') >= 2",
    "contact.digest_opt_in and contact.plan in ['monthly', 'fortnightly', 'weekly']"
    " and (has_event('session_started', within='30d') or has_event('order_placed', within='60d'))",
    "not event.properties.digest_opt_in",
    "now.day <= 7",
    "event.properties.total > 0",
    "contact.points >= 3000 and contact.tier != 'gold'",
    "contact.points >= 1000 and contact.tier not in ['silver', 'gold']",
    "(contact.order_count or 0) >= 1 and contact.plan != 'trial'",
    "contact.referral_code is not none",
    "contact.churn_reason in ['taste', 'too_complex']",
    "(contact.lifetime_value or 0) >= 5000",
    "events.survey.properties.score >= 9",
    "days_since(contact.last_order_at) >= 45",
]


def _example_scope() -> EvalScope:
    contact = Contact(
        id="c1", email="ana@example.com",
        attributes={"country": "SE", "digest_opt_in": True, "plan": "monthly", "points": 1200,
                    "tier": "silver", "order_count": None, "referral_code": "R1",
                    "churn_reason": "taste", "lifetime_value": 7000,
                    "last_order_at": "2026-01-02T10:00:00Z"},
    )  # fmt: skip
    event = Event(
        id="e1", name="order_placed", contact_id="c1", timestamp=NOW,
        properties={"plan": "trial", "total": 12.5, "digest_opt_in": False},
    )  # fmt: skip
    survey = Entry(name="survey_answered", timestamp=NOW, properties={"score": 9})
    return EvalScope(
        contact=contact, history=_History({"session_started": 1}), now=NOW, zone=ZoneInfo("UTC"),
        settings=SETTINGS, event=event, events={"survey": survey},
    )  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize("source", EXAMPLES)
def test_the_examples_expressions_are_answered_without_the_sandbox(source: str) -> None:
    closure = compile_expression(source).closure
    assert closure is not None
    scope = _example_scope()
    answer = closure(scope)  # raises nothing: no fallback needed
    assert scope._cache is None  # the contact's values were never built for the sandbox
    assert bool(answer) == bool(compile_expression(source).evaluate(_example_scope().variables()))


def test_a_contact_without_the_attribute_does_not_hold_it() -> None:
    scope = _example_scope()
    assert scope.holds("contact.unsubscribed") is False
    assert scope.holds("contact.unsubscribed is none") is True  # declared: none, not undefined
    assert scope.holds("contact.banned is undefined") is True


@pytest.mark.parametrize(
    "source",
    [
        "('%0300000000d' % 1) | length > 0",  # a CPU bomb the budget refuses
        "range(10 ** 9) | list | length > 0",
        "('x' * 10 ** 9) | length > 0",
        " or ".join(["has_event('x')"] * (MAX_CALLS + 1)),  # past the calls the budget ignores
    ],
)
def test_expressions_outside_the_subset_still_run_in_the_sandbox(source: str) -> None:
    assert compile_expression(source).closure is None
    slow = _sandbox_holds(_example_scope, source)
    assert _answer(lambda: _example_scope().holds(source)) == slow
    if "**" in source or "%" in source:
        assert slow[0] == "raised" and "over budget" in slow[2]


def test_the_closures_call_the_functions_the_sandbox_calls_with_the_same_signatures() -> None:
    variables = _example_scope().variables()
    for name in ("has_event", "event_count", "days_since"):
        method = getattr(_example_scope(), name)
        assert inspect.signature(method) == inspect.signature(variables[name]), name


def test_a_date_and_a_wrong_type_compare_as_the_sandbox_compares_them() -> None:
    scope = _example_scope
    for source in ("contact.points > 'a'", "contact.missing > 1", "event.properties.nope.x",
                   "contact.get", "days_since(contact.points) > 1"):  # fmt: skip
        assert _answer(lambda s=source: scope().holds(s)) == _sandbox_holds(scope, source)
    assert scope().holds("now.year == 2026 and days_since('2026-03-01') == 1") is True


def _scope_of_an_order_without_when() -> EvalScope:
    """An order event with `get` but without `when`, which the workspace declares."""
    order = Event(id="e1", name="order", contact_id="c1", timestamp=NOW, properties={"get": "x"})
    return EvalScope(
        contact=Contact(id="c1"), history=_History({}), now=NOW, zone=ZoneInfo("UTC"),
        settings=SETTINGS, event=order,
    )  # type: ignore[arg-type]  # fmt: skip


def test_a_declared_property_the_event_lacks_reads_as_absent_as_in_the_sandbox() -> None:
    scope = _scope_of_an_order_without_when

    assert scope().holds("event.properties.when is defined") is False
    assert scope().holds("event.properties.when is none") is False  # absent, not none
    assert scope().holds("not event.properties.when") is True
    for source in ("event.properties.get == 'x'", "event.properties['get'] == 'x'",
                   "event.properties.items", "event.properties['items']",
                   "event.properties.nothing", "event.properties.when.x"):  # fmt: skip
        assert _answer(lambda s=source: scope().holds(s)) == _sandbox_holds(scope, source)
        _check_value(scope, source)


def test_comparing_a_declared_property_the_event_lacks_fails_as_in_the_sandbox() -> None:
    """loyalty's `event.properties.total > 0` on an order without a total: the closure's
    comparison raises what the sandbox's raises, and holds says so without the sandbox."""
    scope = _scope_of_an_order_without_when

    for source in ("event.properties.when > 0", "0 < event.properties.when",
                   "-event.properties.when == 1", "event.properties.get == 'x' and "
                   "event.properties.when >= 'a'", "event.properties.when > 0 or true",
                   "event.properties.when == none", "event.properties.when in ['a']"):  # fmt: skip
        answer = _answer(lambda s=source: scope().holds(s))
        assert answer == _sandbox_holds(scope, source)
        if "==" not in source and " in " not in source:
            assert answer[:2] == ("raised", "ExpressionError")

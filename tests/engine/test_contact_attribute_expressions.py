"""`exit_when: contact.unsubscribed` is answered from the contact without running the
sandbox; the answer must be the sandbox's for every contact a marketer can have."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journey.engine.context import EngineSettings, EvalScope
from journey.errors import ExpressionError
from journey.expressions import compile_expression
from journey.model import Contact

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS = EngineSettings(declared_attributes=("unsubscribed", "plan", "vip"))
NAMES = ("unsubscribed", "plan", "vip", "undeclared", "email", "phone", "locale", "id",
         "created_at", "consent", "topics", "items", "keys")  # fmt: skip


class _NoHistory:
    def count_events(self, name: str, since: Any, until: Any) -> int:
        return 0


def _scope(contact: Contact) -> EvalScope:
    return EvalScope(
        contact=contact, history=_NoHistory(), now=NOW, zone=ZoneInfo("UTC"), settings=SETTINGS
    )  # type: ignore[arg-type]


def _sandbox_answer(contact: Contact, source: str) -> bool | str:
    """What the sandboxed template says, or 'error' when it fails."""
    try:
        return bool(compile_expression(source).evaluate(_scope(contact).variables()))
    except ExpressionError:
        return "error"


def _engine_answer(contact: Contact, source: str) -> bool | str:
    try:
        return _scope(contact).holds(source)
    except ExpressionError:
        return "error"


values = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.booleans(), max_size=2),
)  # fmt: skip
contacts = st.builds(
    Contact,
    id=st.just("c1"),
    email=st.one_of(st.none(), st.just("ana@example.com")),
    locale=st.one_of(st.none(), st.just("sv_SE")),
    consent=st.dictionaries(st.sampled_from(["email", "sms"]), st.booleans(), max_size=2),
    attributes=st.dictionaries(st.sampled_from(NAMES), values, max_size=5),
)


@given(contact=contacts, name=st.sampled_from(NAMES))
def test_contact_attribute_holds_as_the_sandbox_says(contact: Contact, name: str) -> None:
    source = f"contact.{name}"
    assert _engine_answer(contact, source) == _sandbox_answer(contact, source)


def test_a_contact_attribute_takes_the_short_way() -> None:
    for source in ("contact.unsubscribed", "not contact.unsubscribed", "contact['vip']",
                   "contact.plan == 'trial'", "contact.consent.email"):  # fmt: skip
        assert compile_expression(source).closure is not None
    assert compile_expression("contact").closure is None  # the whole values: the sandbox


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [({"unsubscribed": True}, True), ({"unsubscribed": False}, False), ({}, False)],
)
def test_an_unsubscribed_contact_leaves(attributes: dict[str, Any], expected: bool) -> None:
    contact = Contact(id="c1", email="ana@example.com", attributes=attributes)
    assert _scope(contact).holds("contact.unsubscribed") is expected

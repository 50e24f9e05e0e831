"""parse_contact's fast checks for the common valid record answer as the full checks do:
the same change for a good record, the same error (with its location) for a bad one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journey.ingest import RecordError, apply_contact_change, parse_contact, record_fields
from journey.ingest import records as records_module
from journey.model import Contact

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

# text as hostile input sends it: controls, line separators, lone surrogates, spaces
awkward_text = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from("ab \t\n\x00\x7f\x85\u2028\ud800\u00a0"), max_size=6),
    st.sampled_from(["", " ", "x" * 256, "x" * 257, "sv-SE", "y" * 65, "c1"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    awkward_text,
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(awkward_text, scalars))
records = st.fixed_dictionaries(
    {"id": st.one_of(awkward_text, st.integers(), st.none())},
    optional={
        "locale": st.one_of(awkward_text, st.none(), st.integers()),
        "consent": st.one_of(st.dictionaries(awkward_text, st.booleans()), st.none()),
        "email": st.sampled_from(["a@example.com", "bad", None]),
        "plan": values,
        "score": values,
    },
).flatmap(
    lambda base: st.dictionaries(awkward_text, values, max_size=3).map(
        lambda more: {**more, **base}
    )
)


def _outcome(record: dict[str, Any]) -> Any:
    try:
        return parse_contact(record)
    except RecordError as exc:
        return ("error", str(exc))


@settings(max_examples=1500, deadline=None)
@given(record=records)
def test_fast_checks_answer_as_the_full_checks(record: dict[str, Any]) -> None:
    fast = _outcome(record)
    with pytest.MonkeyPatch.context() as patch:
        for module in (records_module, record_fields):  # every place that takes a fast path
            patch.setattr(module, "plain_line", lambda value, limit: False)
        patch.setattr(records_module, "plain_scalar", lambda value: False)
        full = _outcome(record)
    assert fast == full


@settings(max_examples=300, deadline=None)
@given(record=records)
def test_a_new_contact_is_what_merging_into_an_empty_one_gives(record: dict[str, Any]) -> None:
    try:
        change = parse_contact(record)
    except RecordError:
        return
    empty = Contact(id=change.id, created_at=NOW)
    assert apply_contact_change(None, change, now=NOW) == apply_contact_change(empty, change)

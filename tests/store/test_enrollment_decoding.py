"""Enrollment rows decode to the enrollment written, whether their state text was seen before
(a claim decodes each distinct state once: the rows at one step mostly share it) or not."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from journey.records import Enrollment, Entry
from journey.store import codec

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

NAMES = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
INSTANTS = st.integers(0, 10**6).map(lambda s: T0 + timedelta(seconds=s, microseconds=s % 7))
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), NAMES)
ENTRIES = st.builds(
    Entry, name=NAMES, timestamp=INSTANTS, properties=st.dictionaries(NAMES, VALUES, max_size=3)
)
ENROLLMENTS = st.builds(
    Enrollment,
    id=st.just("j1:c1:1"),
    journey_id=st.just("j1"),
    contact_id=st.just("c1"),
    plan_hash=st.just("h"),
    entered_at=INSTANTS,
    entry=ENTRIES,
    step_id=NAMES,
    step_entered_at=INSTANTS,
    due_at=st.none() | INSTANTS,
    phase=st.sampled_from(["enter", "wait", "send"]),
    split_arm=st.none() | NAMES,
    arms=st.dictionaries(NAMES, NAMES, max_size=2),
    exit_reason=st.none() | NAMES,
    exited_at=st.none() | INSTANTS,
    converted_at=st.none() | INSTANTS,
    visits=st.dictionaries(NAMES, st.integers(1, 2**40), max_size=4),
    defer_since=st.none() | INSTANTS,
    events=st.dictionaries(NAMES, ENTRIES, max_size=2),
)


def decoded_without_memo(row: tuple[Any, ...]) -> Enrollment:
    """What the row means, read from its JSON text every time."""
    state = codec.loads(row[14])
    return replace(
        codec.enrollment_from_row(row),
        phase=state.get("phase", "enter"),
        visits=state.get("visits") or {},
        defer_since=codec.from_ts(state.get("defer_since")),
        arms=state.get("arms") or {},
        events=codec.kept_events(state),
    )


def same(a: Enrollment, b: Enrollment) -> bool:
    """Equal, NaN properties included (a NaN is not equal to itself)."""
    return repr(a) == repr(b)


@settings(max_examples=300, deadline=None)
@given(enrollment=ENROLLMENTS)
def test_a_row_decodes_alike_the_first_time_and_from_the_memo(enrollment: Enrollment) -> None:
    row = codec.enrollment_row(enrollment)
    codec._STATES.pop(row[14], None)
    first = codec.enrollment_from_row(row)
    again = codec.enrollment_from_row(tuple(str(v) if isinstance(v, str) else v for v in row))
    assert same(first, again)
    assert same(first, decoded_without_memo(row))
    # what the row holds is what was written, as the store's JSON gives it back
    written = replace(enrollment, due_at=enrollment.due_at if enrollment.is_active else None)
    assert same(codec.enrollment_from_row(codec.enrollment_row(first)), first)
    assert first.visits == written.visits and first.arms == written.arms


def _welcome_enrollment(**state: Any) -> Enrollment:
    """A contact's enrollment at its first step, with the kept `state` given."""
    return Enrollment(
        id="j1:c1:1",
        journey_id="j1",
        contact_id="c1",
        plan_hash="h",
        entered_at=T0,
        entry=Entry(name="signed_up", timestamp=T0),
        step_id="welcome",
        step_entered_at=T0,
        due_at=T0,
        **state,
    )


def test_a_row_written_before_the_engine_kept_a_state_decodes_as_a_new_enrollment() -> None:
    row = (
        *codec.enrollment_row(_welcome_enrollment())[:14],
        "{}",
    )
    for _ in range(2):  # decoded, then from the memo
        found = codec.enrollment_from_row(row)
        assert (found.phase, found.visits, found.defer_since, found.arms, found.events) == (
            "enter",
            {},
            None,
            {},
            {},
        )


def test_the_memo_of_states_stays_bounded() -> None:
    for number in range(codec._STATES_KEPT + 100):
        codec._read_state(f'{{"phase":"wait","visits":{{"s{number}":1}}}}')
    assert len(codec._STATES) <= codec._STATES_KEPT


# what a state may hold when a caller breaks the types: floats orjson and json spell
# differently (non-finite, 2**63 and above, just below it), huge ints, keys that are not
# strings, nested lists
ODD = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 1e19, 9.21e18, 1e16, 0.5, 2**70]),
    st.floats(),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.none(),
    NAMES,
    st.lists(st.floats(), max_size=2),
)
ODD_KEYS = st.one_of(NAMES, st.integers(0, 3))
KEPT = [
    {"order": Entry(name="ordered", timestamp=T0, properties={"total": total})}
    for total in (1.5, math.nan, 1e19)
]


def outcome(write: Any, e: Enrollment) -> str:
    try:
        return str(write(e))
    except (TypeError, ValueError) as error:
        return type(error).__name__


@settings(max_examples=300, deadline=None)
@given(
    visits=st.dictionaries(ODD_KEYS, ODD, max_size=3),
    arms=st.dictionaries(ODD_KEYS, ODD, max_size=2),
    defer_since=st.none() | INSTANTS,
    events=st.sampled_from([{}, *KEPT]),
)
def test_the_state_is_written_as_dumps_writes_it(
    visits: dict[Any, Any],
    arms: dict[Any, Any],
    defer_since: datetime | None,
    events: dict[str, Entry],
) -> None:
    e = _welcome_enrollment(
        visits=visits,
        arms=arms,
        defer_since=defer_since,
        events=events,
    )
    assert outcome(codec._state_text, e) == outcome(lambda e: codec.dumps(codec._state(e)), e)

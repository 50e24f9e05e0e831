"""The daemon's JSON log lines: exactly what json.dumps writes, one line per state change."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from journey.daemon.logs import StateLog

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

values = st.one_of(
    st.text(),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.datetimes(timezones=st.just(UTC)),
    st.lists(st.text(), max_size=3),
    st.dictionaries(st.text(), st.integers(), max_size=3),
)


@given(st.dictionaries(st.text(min_size=1), st.one_of(st.none(), values), max_size=6))
def test_a_json_line_is_what_json_dumps_writes(fields: dict[str, Any]) -> None:
    stream = io.StringIO()
    log = StateLog(fmt="json", stream=stream, now=lambda: T0)
    fields = {key: value for key, value in fields.items() if key not in ("ts", "event")}
    log.emit("step", **fields)
    expected = {"ts": T0.isoformat(), "event": "step"}
    expected.update({k: v for k, v in fields.items() if v is not None})
    assert stream.getvalue() == json.dumps(expected, default=str, ensure_ascii=False) + "\n"


def test_lines_are_counted_even_when_logging_is_off() -> None:
    stream = io.StringIO()
    log = StateLog(fmt="json", stream=stream, now=lambda: T0, enabled=False)
    log.emit("sent", contact="c1")
    log.emit("sent", contact="c2")
    assert log.counts == {"sent": 2}
    assert stream.getvalue() == ""

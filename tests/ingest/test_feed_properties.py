"""Arbitrary JSON lines through `ingest` / `contacts import`: each is stored or refused alone.

Hypothesis writes lines mixing valid records with lone surrogates, NUL and
other controls, numbers such as 1e400 or 2**70, odd timestamps, wrong types
and reused event ids. The real committers of the CLI store them in a real
SQLite file. Every line must be either accepted or reported once with its
line number; nothing may escape as an exception; every good line survives
whatever its batch held; and the tables stay queryable by SQLite's JSON
functions afterwards.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey.assembly import VirtualRun, virtual_shell
from journey.cli.contacts import contact_parser
from journey.clock import SystemClock
from journey.daemon.lock import WriterAccess
from journey.engine.context import EngineSettings
from journey.ingest import LineError, parse_event
from journey.ingest.door import Door
from journey.ingest.feed import feed
from journey.intake import Session, contact_committer, event_committer
from journey.store.sqlite import SQLiteStore
from journey.workspace import Workspace
from tests.daemon.http.live_api import NoRenderer
from tests.support.sqlite_file import sqlite_file


class Raw(str):
    """A JSON number literal written as is (1e400 reads as infinity, 2**70 as a big int)."""


NUMBER_LITERALS = ["1e400", "-1e400", "1e-400", "9223372036854775808", "1" + "0" * 30, "-0.0"]
NASTY_TEXT = ["\ud800", "a\udc00b", "\x00", "x\r\ny", "\x1b[2J", "\x85", "\u2028", "", " "]
TIMESTAMPS = [
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "2026-03-02T14:05:00+01:00",
    "2026-02-30T00:00:00Z",
    "2026-03-02T14:05:00",
    "1899-01-01T00:00:00Z",
    "2026-03-02T14:05:00.123456Z",
]

text = st.one_of(st.text(max_size=12), st.sampled_from(NASTY_TEXT))
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(NUMBER_LITERALS).map(Raw),
    text,
)
json_value = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=8,
)
maybe = st.one_of(json_value, st.sampled_from(TIMESTAMPS))

contact_record = st.fixed_dictionaries(
    {"id": st.one_of(st.sampled_from(["c1", "c2", "c3"]), text, json_value)},
    optional={
        "email": st.one_of(st.sampled_from(["a@example.com", "a@b", "a@x.se,b@x.se"]), maybe),
        "phone": st.one_of(st.just("+46701234567"), maybe),
        "locale": maybe,
        "timezone": st.one_of(st.just("Europe/Stockholm"), maybe),
        "created_at": maybe,
        "consent": st.one_of(st.dictionaries(text, st.booleans(), max_size=2), json_value),
        "first_name": json_value,
        "profile": json_value,
    },
)
event_record = st.fixed_dictionaries(
    {
        "name": st.one_of(st.just("order_placed"), text),
        "contact_id": st.one_of(st.sampled_from(["c1", "c2"]), text),
    },
    optional={
        "id": st.one_of(st.sampled_from(["e1", "e2", "e3"]), text),
        "timestamp": st.one_of(st.sampled_from(TIMESTAMPS), json_value),
        "properties": st.one_of(st.dictionaries(text, json_value, max_size=3), json_value),
    },
)


def dump(value: Any) -> str:
    """JSON text; lone surrogates become `\\ud800` escapes, Raw numbers stay literal."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value)


def lines_with_good_ones(records: st.SearchStrategy[Any], good: Callable[[int], Any]) -> Any:
    """Lines of arbitrary records with known-good ones at random places, plus broken lines."""
    broken = st.sampled_from(["{", "NaN", '{"id": "c1",}', "\xff", "[1, 2"])
    line = st.one_of(records.map(dump), json_value.map(dump), broken)
    good_line = st.integers(0, 10**6).map(lambda n: dump(good(n)))
    return st.lists(st.one_of(line, good_line), max_size=12)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    root = tmp_path_factory.mktemp("ws")
    store = SQLiteStore(root / "state.db")
    clock = SystemClock()
    run = VirtualRun(renderer=NoRenderer(), settings=EngineSettings())
    runner = virtual_shell({}, clock, run, store=store).runner
    access = WriterAccess(root / "state.db")  # no daemon runs: the runner takes every line
    yield Session(
        workspace=Workspace(root=root),
        store=store,
        clock=clock,
        access=access,
        runner=runner,
    )
    store.close()
    access.close()


def _feed(session: Session, lines: list[str], parse: Any, commit: Any) -> tuple[Any, list[int]]:
    data = "".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass")
    reported: list[int] = []

    def on_bad(error: LineError) -> None:
        str(error.message).encode("utf-8")  # printable on stderr
        reported.append(error.line)

    summary = feed(io.BytesIO(data), parse=parse, commit=commit, on_bad=on_bad, batch_size=3)
    return summary, reported


def _queries_still_work(path: Path) -> None:
    with sqlite_file(path) as db:
        queried = (("contacts", ("consent", "attributes")), ("events", ("properties",)))
        for table, columns in queried:
            for column in columns:
                db.execute(f"SELECT json_extract({column}, '$') FROM {table}").fetchall()
                db.execute(f"SELECT COUNT(*) FROM {table}, json_tree({table}.{column})").fetchone()


SLOW_OK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW_OK
@given(lines=lines_with_good_ones(contact_record, lambda n: {"id": f"good-{n}", "plan": "x"}))
def test_every_contact_line_is_stored_or_refused_alone(session: Session, lines: list[str]) -> None:
    summary, reported = _feed(session, lines, contact_parser(Door()), contact_committer(session))
    assert summary.good + summary.bad == len([line for line in lines if line.strip()])
    assert len(reported) == len(set(reported)) == summary.bad
    assert reported == sorted(reported)  # FILE:LINE errors come in file order
    for number, line in enumerate(lines, start=1):
        if line.startswith('{"id":"good-'):
            assert number not in reported
            assert session.store.get_contact(json.loads(line)["id"]) is not None
    for batch in session.store.iter_contacts():
        for contact in batch:
            json.dumps(contact.attributes, allow_nan=False).encode("utf-8")
    _queries_still_work(session.store.path)


@SLOW_OK
@given(
    lines=lines_with_good_ones(
        event_record,
        lambda n: {
            "id": f"good-{n}",
            "name": "order_placed",
            "contact_id": "c1",
            "timestamp": "2026-03-02T14:05:00Z",
        },
    ),
    history=st.booleans(),
)
def test_every_event_line_is_stored_refused_or_a_duplicate(
    session: Session, lines: list[str], history: bool
) -> None:
    now = datetime.now(UTC)
    summary, reported = _feed(
        session,
        lines,
        lambda obj: parse_event(obj, received_at=now),
        event_committer(session, history=history),
    )
    assert summary.good + summary.bad == len([line for line in lines if line.strip()])
    assert len(reported) == len(set(reported)) == summary.bad
    assert reported == sorted(reported)  # FILE:LINE errors come in file order
    good_ids = {json.loads(line)["id"] for line in lines if line.startswith('{"id":"good-')}
    assert good_ids <= set(session.store.events_by_id(sorted(good_ids)))
    _queries_still_work(session.store.path)

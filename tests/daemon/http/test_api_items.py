"""The API answers per item over real HTTP: a bad record gets its own 4xx, the rest are stored."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from journey.daemon import inbox
from journey.daemon.hooks import HttpHooks
from journey.ingest import parse_event
from journey.store.sqlite import SQLiteStore
from tests.daemon.conftest import DaemonHarness
from tests.daemon.http.live_api import NOW, TOKEN, Api, signed_up, start
from tests.daemon.workspace_factory import make_workspace

POISONED_EVENTS = [
    '{"name": "signed_up", "contact_id": "c\\ud800"}',
    '{"name": "signed_up", "contact_id": "c1", "properties": {"total": 1e400}}',
    '{"name": "signed_up", "contact_id": "c1", "timestamp": "9999-12-31T23:59:59-12:00"}',
    '{"name": "signed_up\\u0000", "contact_id": "c1"}',
    '{"name": "signed_up", "contact_id": "c1", "properties": {"n": 99999999999999999999}}',
]


def _raw_batch(*records: str) -> bytes:
    return ('{"events": [' + ",".join(records) + "]}").encode()


def test_each_poisoned_event_gets_its_own_400_and_the_good_ones_are_stored(api: Api) -> None:
    good = [json.dumps(signed_up(f"g{n}")) for n in range(2)]
    raw = _raw_batch(good[0], *POISONED_EVENTS, good[1])
    status, _, body = api.call("POST", "/v1/events", raw=raw)
    reply = json.loads(body)
    assert status == 207
    assert (reply["stored"], reply["refused"]) == (2, 5)
    assert [e["index"] for e in reply["errors"]] == [1, 2, 3, 4, 5]
    assert {e["status"] for e in reply["errors"]} == {400}
    assert reply["ids"] == ["evt-g0", None, None, None, None, None, "evt-g1"]
    assert api.store.count_events("g1", "signed_up", None, NOW) == 1


def test_a_single_poisoned_record_is_a_400_and_the_server_stays_well(api: Api) -> None:
    for record in POISONED_EVENTS:
        status, _, body = api.call("POST", "/v1/events", raw=record.encode())
        assert status == 400, body
        assert json.loads(body)["line"] == 1
    assert api.json("POST", "/v1/events", signed_up())[0] == 202


def test_contacts_with_bad_addresses_or_text_are_refused_alone(api: Api) -> None:
    raw = (
        b'{"contacts": [{"id": "ok", "email": "a@example.com"},'
        b' {"id": "inj", "email": "a@example.com\\r\\nBcc: v@example.com"},'
        b' {"id": "list", "email": "a@example.com,b@example.com"},'
        b' {"id": "sur", "first_name": "\\udfff"}, {"id": "nan", "score": -1e999}]}'
    )
    status, _, body = api.call("POST", "/v1/contacts", raw=raw)
    reply = json.loads(body)
    assert status == 207 and reply["created"] == 1 and reply["refused"] == 4
    assert "`email`" in reply["errors"][0]["error"]
    assert [c.id for batch in api.store.iter_contacts() for c in batch] == ["ok"]


def test_an_event_id_reused_for_other_content_is_409(api: Api) -> None:
    assert api.json("POST", "/v1/events", signed_up())[0] == 202
    status, body = api.json("POST", "/v1/events", signed_up(properties={"plan": "paid"}))
    assert status == 409 and "already used" in body["error"]
    assert body["errors"][0]["status"] == 409
    status, body = api.json("POST", "/v1/events", signed_up())  # same content: a duplicate
    assert (status, body["duplicates"]) == (202, 1)
    mixed = {"events": [signed_up("c2"), signed_up(properties={"x": 1})]}
    status, body = api.json("POST", "/v1/events", mixed)
    assert status == 207 and body["stored"] == 1
    assert (
        body["errors"] == [{"index": 1, "status": 409, "error": body["errors"][0]["error"]}]
        and "already used" in body["errors"][0]["error"]
    )


def _together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls on their own threads, released at the same instant; their results."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(slot: int) -> None:
        barrier.wait()
        results[slot] = calls[slot]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return results


def _poster(url: str, body: Any) -> Callable[[], dict[str, Any]]:
    def post() -> dict[str, Any]:
        request = urllib.request.Request(
            url + "/v1/events", data=json.dumps(body).encode(), method="POST"
        )
        request.add_header("Content-Type", "application/json")
        request.add_header("Authorization", f"Bearer {TOKEN}")
        with urllib.request.urlopen(request, timeout=10) as response:
            reply: dict[str, Any] = json.loads(response.read())
            return reply

    return post


def test_two_concurrent_posts_of_a_new_id_get_one_stored_and_one_duplicate(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    """Through the daemon's own hooks: the id waits in the inbox, not yet in the events table."""
    harness = harness_factory(make_workspace(tmp_path / "ws"))
    hooks = HttpHooks(harness.daemon)
    server = start(hooks.handlers())
    try:
        for round_no in range(10):
            event = signed_up(f"race{round_no}")
            replies = _together([_poster(server.url, event), _poster(server.url, event)])
            assert sorted(r["stored"] for r in replies) == [0, 1], replies
            assert sorted(r["duplicates"] for r in replies) == [0, 1], replies
        assert harness.store.inbox_size() == 10
    finally:
        server.shutdown()
        server.server_close()
        hooks.close()


def test_concurrent_writers_on_two_connections_accept_a_new_id_once(tmp_path: Path) -> None:
    """`journey ingest` beside the daemon: two processes' connections, one answer each."""
    path = tmp_path / "state.db"
    stores = [SQLiteStore(path), SQLiteStore(path)]
    try:
        for round_no in range(20):
            event = parse_event(signed_up(f"r{round_no}"), received_at=NOW)
            verdicts = _together(
                [
                    lambda store=store, event=event: inbox.accept_events(store, [event], NOW)
                    for store in stores
                ]
            )
            assert sorted(v[0] for v in verdicts) == ["duplicate", "new"]
        assert stores[0].inbox_size() == 20
    finally:
        for store in stores:
            store.close()

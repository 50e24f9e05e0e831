"""The HTTP API against a real server on 127.0.0.1, a real SQLite store and a Runner."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from journey.daemon.http import HttpHandlers, make_server
from journey.errors import JourneyError, StoreError
from journey.ingest import ContactChange
from journey.unsubscribe import make_unsubscribe_token
from journey.workspace import HttpSettings
from tests.daemon.http.live_api import (
    NOW,
    SECRET,
    TOKEN,
    Api,
    bare_runner,
    read_all,
    runner_handlers,
    signed_up,
    start,
    stop,
)
from tests.support.sqlite_file import sqlite_file

# --------------------------------------------------------------------------- auth


def test_events_require_the_bearer_token(api: Api) -> None:
    status, headers, body = api.call("POST", "/v1/events", signed_up(), token=None)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(body) == {"error": "missing bearer token"}
    status, _, body = api.call("POST", "/v1/events", signed_up(), token="wrong")
    assert status == 401
    assert json.loads(body) == {"error": "invalid bearer token"}
    assert api.store.count_events("c1", "signed_up", None, NOW) == 0


def test_server_refuses_to_start_without_a_token() -> None:
    handlers = HttpHandlers(
        ingest_events=lambda e: [],
        change_contacts=lambda c: [],
        metrics=str,
        unsubscribe=lambda c, j: None,
        health=dict,
    )
    with pytest.raises(JourneyError, match="JOURNEY_TOKEN is not set"):
        make_server(HttpSettings(port=0), handlers, env={})
    server = make_server(HttpSettings(port=0), handlers, env={}, allow_no_token=True)
    server.server_close()


def test_server_binds_to_loopback_by_default(api: Api) -> None:
    assert api.server.server_address[0] == "127.0.0.1"


# ------------------------------------------------------------------------- events


def test_event_is_stored_before_the_ack_and_fires_the_trigger(api: Api) -> None:
    status, body = api.json("POST", "/v1/events", signed_up())
    assert status == 202
    assert body == {"stored": 1, "duplicates": 0, "ids": ["evt-c1"]}
    assert api.store.count_events("c1", "signed_up", None, NOW) == 1
    contact = api.store.get_contact("c1")  # an unknown contact is created
    assert contact is not None and contact.attributes == {"welcomed": True}


def test_reposting_the_same_events_processes_them_once(api: Api) -> None:
    batch = {"events": [signed_up("c1"), signed_up("c2")]}
    assert api.json("POST", "/v1/events", batch)[1]["stored"] == 2
    status, body = api.json("POST", "/v1/events", batch)
    assert status == 202
    assert body["stored"] == 0 and body["duplicates"] == 2
    assert api.store.count_enrollments("welcome", "c1") == 1


def test_event_without_id_gets_a_stable_one(api: Api) -> None:
    event = {k: v for k, v in signed_up().items() if k != "id"}
    first = api.json("POST", "/v1/events", event)[1]
    again = api.json("POST", "/v1/events", event)[1]
    assert first["ids"] == again["ids"] and len(first["ids"][0]) == 64
    assert again["duplicates"] == 1


def test_old_event_goes_into_history_only(api: Api) -> None:
    old = signed_up(timestamp="2026-02-20T08:00:00Z")
    assert api.json("POST", "/v1/events", old)[1]["stored"] == 1
    assert api.store.count_events("c1", "signed_up", None, NOW) == 1
    assert api.store.count_enrollments("welcome", "c1") == 0


def test_json_lines_body_is_accepted(api: Api) -> None:
    raw = b"\n".join(json.dumps(signed_up(c)).encode() for c in ("a", "b", "c"))
    status, _, body = api.call("POST", "/v1/events", raw=raw, content_type="application/x-ndjson")
    assert status == 202 and json.loads(body)["stored"] == 3


def test_a_broken_json_line_is_refused_alone_and_the_good_line_is_stored(api: Api) -> None:
    raw = json.dumps(signed_up("a")).encode() + b'\n{"name": "x",\n'
    status, _, body = api.call("POST", "/v1/events", raw=raw, content_type="application/x-ndjson")
    assert status == 207
    reply = json.loads(body)
    assert (reply["stored"], reply["refused"], reply["ids"]) == (1, 1, ["evt-a", None])
    (error,) = reply["errors"]
    assert error["line"] == 2 and error["status"] == 400
    assert error["error"].startswith("invalid JSON")
    assert api.store.count_events("a", "signed_up", None, NOW) == 1


def test_bad_record_is_refused_alone_naming_it(api: Api) -> None:
    status, body = api.json("POST", "/v1/events", {"events": [signed_up(), {"name": "x"}]})
    assert status == 207
    assert body["errors"] == [{"index": 1, "status": 400, "error": "`contact_id` is required"}]
    assert api.store.count_events("c1", "signed_up", None, NOW) == 1
    status, body = api.json("POST", "/v1/events", signed_up(timestamp="2026-03-02T12:00:00"))
    assert status == 400 and "no time zone" in body["error"] and body["line"] == 1


def test_body_over_the_limit_is_413_and_not_read(api: Api) -> None:
    huge = {"events": [signed_up(properties={"pad": "x" * 5000})]}
    status, body = api.json("POST", "/v1/events", huge)
    assert status == 413
    assert body["max_bytes"] == 4096
    assert api.store.count_events("c1", "signed_up", None, NOW) == 0


def test_expect_100_continue_is_refused_before_the_body_is_sent(api: Api) -> None:
    host, port = api.server.server_address[:2]
    with socket.create_connection((str(host), port), timeout=5) as conn:
        conn.sendall(
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
            b"Content-Length: 999999999\r\nExpect: 100-continue\r\n\r\n"
        )
        reply = read_all(conn)
    assert reply.startswith(b"HTTP/1.1 413")
    assert b'"max_bytes": 4096' in reply


def test_wrong_method_path_and_media_type_get_json_errors(api: Api) -> None:
    status, headers, body = api.call("GET", "/v1/events")
    assert status == 405 and headers["Allow"] == "POST"
    assert "GET is not allowed" in json.loads(body)["error"]
    assert api.json("GET", "/nope")[0] == 404
    assert api.json("POST", "/v1/events", raw=b"name=x", content_type="text/plain")[0] == 415


def test_missing_content_length_is_411(api: Api) -> None:
    host, port = api.server.server_address[:2]
    with socket.create_connection((str(host), port), timeout=5) as conn:
        conn.sendall(
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + TOKEN.encode() + b"\r\nConnection: close\r\n\r\n"
        )
        reply = read_all(conn)
    assert reply.startswith(b"HTTP/1.1 411")


def test_slow_client_is_cut_off(tmp_path: Path) -> None:
    handlers = runner_handlers(*bare_runner(tmp_path))
    server = start(handlers, timeout=0.3)
    try:
        host, port = server.server_address[:2]
        with socket.create_connection((str(host), port), timeout=5) as conn:
            conn.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\n")  # and then nothing
            assert conn.recv(4096) == b""  # the server closed the connection
    finally:
        server.shutdown()
        server.server_close()


def test_failing_store_is_503_and_a_bug_is_500_without_a_traceback(tmp_path: Path) -> None:
    handlers = runner_handlers(*bare_runner(tmp_path))

    def broken_store(events: list[Any]) -> Sequence[bool]:
        raise StoreError("database is locked")

    def bug(changes: list[ContactChange]) -> Sequence[str]:
        raise KeyError("internal detail")

    server = start(replace(handlers, ingest_events=broken_store, change_contacts=bug))
    api = Api(server=server, store=None, runner=None)  # type: ignore[arg-type]
    try:
        assert api.json("POST", "/v1/events", signed_up()) == (
            503,
            {"error": "not stored; try again"},
        )
        assert api.call("POST", "/v1/events", signed_up())[1]["Retry-After"] == "1"
        status, _, body = api.call("POST", "/v1/contacts", {"id": "c1"})
        assert status == 500
        assert b"Traceback" not in body and b"internal detail" not in body
    finally:
        server.shutdown()
        server.server_close()


# ----------------------------------------------------------------------- contacts


def test_contact_upsert_merges_attributes(api: Api) -> None:
    first = {"id": "c1", "email": "a@example.com", "plan": "trial", "country": "SE"}
    assert api.json("POST", "/v1/contacts", first) == (200, {"contacts": 1, "created": 1})
    status, body = api.json("POST", "/v1/contacts", {"id": "c1", "plan": "paid", "country": None})
    assert (status, body) == (200, {"contacts": 1, "updated": 1})
    contact = api.store.get_contact("c1")
    assert contact is not None
    assert contact.email == "a@example.com" and contact.attributes == {"plan": "paid"}


def test_contact_with_numeric_id_is_refused_alone(api: Api) -> None:
    status, body = api.json("POST", "/v1/contacts", {"contacts": [{"id": "ok"}, {"id": 42}]})
    assert status == 207 and body["created"] == 1 and body["refused"] == 1
    (error,) = body["errors"]
    assert error["index"] == 1 and "must be a string" in error["error"]
    assert api.store.get_contact("ok") is not None
    status, body = api.json("POST", "/v1/contacts", {"id": 42})
    assert status == 400 and body["line"] == 1 and "must be a string" in body["error"]


def test_contact_deletion_removes_every_row_about_the_contact(api: Api) -> None:
    api.json("POST", "/v1/contacts", {"id": "c1", "email": "a@example.com"})
    api.json("POST", "/v1/contacts", {"id": "c2", "email": "b@example.com"})
    api.json("POST", "/v1/events", {"events": [signed_up("c1"), signed_up("c2")]})
    assert _rows_about("c1", api.store.path) > 2
    status, body = api.json("POST", "/v1/contacts", {"id": "c1", "delete": True})
    assert (status, body) == (200, {"contacts": 1, "deleted": 1})
    assert _rows_about("c1", api.store.path) == 0
    assert _rows_about("c2", api.store.path) > 2  # the other contact is untouched


def _rows_about(contact_id: str, path: str) -> int:
    with sqlite_file(path) as db:
        total = 0
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            column = (
                "contact_id" if "contact_id" in columns else "id" if table == "contacts" else None
            )
            if column:
                total += db.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (contact_id,)
                ).fetchone()[0]
        return total


# -------------------------------------------------------------- health, metrics


def test_healthz_needs_no_token(api: Api) -> None:
    assert api.json("GET", "/healthz", token=None) == (200, {"status": "ok"})


def test_metrics_need_the_token_and_parse_as_prometheus_text(api: Api) -> None:
    assert api.call("GET", "/metrics", token=None)[0] == 401
    api.json("POST", "/v1/events", signed_up())
    status, headers, body = api.call("GET", "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]\w*="[^"]*",?)*\})? -?[0-9.e+]+$')
    samples = {}
    for line in body.decode().splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) \w+ ", line), line
            continue
        assert sample.match(line), line
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    assert samples["journey_contacts"] == 1
    assert samples['journey_http_requests_total{route="/v1/events",code="202"}'] == 1


# ------------------------------------------------------------------- unsubscribe


def test_unsubscribe_get_asks_and_post_sets_email_consent_false(api: Api) -> None:
    api.json("POST", "/v1/contacts", {"id": "c1", "consent": {"email": True, "sms": True}})
    token = make_unsubscribe_token(SECRET.encode(), "c1", "welcome")
    status, headers, page = api.call("GET", f"/v1/unsubscribe/{token}", token=None)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'<form method="post">' in page
    contact = api.store.get_contact("c1")
    assert contact is not None and contact.consent["email"] is True  # GET changes nothing
    status, _, page = api.call(
        "POST",
        f"/v1/unsubscribe/{token}",
        token=None,
        raw=b"List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert status == 200 and b"unsubscribed" in page
    contact = api.store.get_contact("c1")
    assert contact is not None and contact.consent == {"email": False, "sms": True}


def test_forged_unsubscribe_token_changes_nothing(api: Api) -> None:
    api.json("POST", "/v1/contacts", {"id": "c1", "consent": {"email": True}})
    forged = make_unsubscribe_token(b"another secret", "c1", "welcome")
    status, _, _ = api.call(
        "POST", f"/v1/unsubscribe/{forged}", token=None, raw=b"List-Unsubscribe=One-Click"
    )
    assert status == 404
    contact = api.store.get_contact("c1")
    assert contact is not None and contact.consent == {"email": True}


def test_a_refused_body_is_never_read_as_the_next_request(api: Api) -> None:
    """401 before the body is read: the connection closes instead of parsing the body."""
    host, port = api.server.server_address[:2]
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection((str(host), port), timeout=5) as conn:
        conn.sendall(
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(smuggled)).encode() + b"\r\n\r\n" + smuggled
        )
        reply = read_all(conn)
    assert reply.startswith(b"HTTP/1.1 401")
    assert reply.count(b"HTTP/1.1") == 1


# ------------------------------------------------------- bodies the API refuses


@pytest.mark.parametrize("depth", [65, 300, 950])
def test_json_nested_hundreds_of_levels_is_400_naming_the_record(api: Api, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    event = json.dumps(signed_up()).encode()[:-1] + f', "properties": {{"a": {nested}}}}}'.encode()
    contact = f'{{"id": "c1", "tags": {nested}}}'.encode()
    for path, raw in (("/v1/events", event), ("/v1/contacts", contact)):
        status, body = api.json("POST", path, raw=raw)
        assert status == 400, body
        assert "nest" in body["error"] or "invalid JSON" in body["error"]
    assert api.store.get_contact("c1") is None


def test_json_nested_within_the_limit_is_accepted(api: Api) -> None:
    nested = "[" * 20 + "]" * 20
    status, _ = api.json("POST", "/v1/contacts", raw=f'{{"id": "c1", "tags": {nested}}}'.encode())
    assert status == 200


def test_a_locked_database_is_503_with_retry_after(tmp_path: Path) -> None:
    """A real SQLite lock held by another connection: the request is not stored, retry later."""
    runner, store = bare_runner(tmp_path)
    handlers = runner_handlers(runner, store)

    def locked(events: list[Any]) -> Sequence[bool]:
        with sqlite_file(store.path, timeout=0) as other:
            other.execute("BEGIN EXCLUSIVE")
            try:
                with sqlite_file(store.path, timeout=0) as mine:
                    mine.execute("INSERT INTO events DEFAULT VALUES")  # database is locked
            finally:
                other.rollback()
        return []

    server = start(replace(handlers, ingest_events=locked))
    api = Api(server=server, store=store, runner=runner)
    try:
        status, headers, body = api.call("POST", "/v1/events", signed_up())
        assert status == 503 and headers["Retry-After"] == "1"
        assert json.loads(body) == {"error": "not stored; try again"}
    finally:
        stop(server, store)

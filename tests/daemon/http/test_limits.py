"""Slow and numerous clients against a real server on 127.0.0.1: a cap on connections, deadlines.

An operator's story: a misbehaving integration (or an attacker) opens hundreds of
connections and trickles bytes into them. The daemon keeps a bounded number of
threads, answers the rest 503 at once, and cuts off the tricklers.
"""

from __future__ import annotations

import http.client
import json
import logging
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from journey.daemon.http import JourneyHTTPServer
from journey.validator import check_workspace
from journey.workspace import HttpSettings, build_workspace
from tests.daemon.http.live_api import (
    NOW,
    TOKEN,
    Api,
    bare_runner,
    read_all,
    runner_handlers,
    signed_up,
    start,
    stop,
)


@contextmanager
def live_server(tmp_path: Path, **settings: Any) -> Iterator[Api]:
    runner, store = bare_runner(tmp_path)
    server = start(runner_handlers(runner, store), **settings)
    try:
        yield Api(server=server, store=store, runner=runner)
    finally:
        stop(server, store)


def connect(server: JourneyHTTPServer) -> socket.socket:
    host, port = server.server_address[:2]
    return socket.create_connection((str(host), port), timeout=5)


def wait_until(condition: Any, *, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def open_connections(server: JourneyHTTPServer) -> int:
    counts = server.connection_counts()
    return counts["waiting"] + counts["serving"]


def closed_by_server(conn: socket.socket) -> bool:
    """True once the server has closed its side (EOF or reset), without blocking."""
    readable, _, _ = select.select([conn], [], [], 0)
    if not readable:
        return False
    try:
        return conn.recv(4096) == b""
    except OSError:
        return True


# ------------------------------------------------------------------ worker cap


@contextmanager
def busy_server(tmp_path: Path, **settings: Any) -> Iterator[tuple[Api, threading.Event]]:
    """A server whose event ingestion waits until the test sets the returned Event."""
    runner, store = bare_runner(tmp_path)
    release = threading.Event()
    handlers = runner_handlers(runner, store)

    def slow_ingest(events: list[Any]) -> Any:
        release.wait(10)
        return handlers.ingest_events(events)

    server = start(replace(handlers, ingest_events=slow_ingest), **settings)
    try:
        yield Api(server=server, store=store, runner=runner), release
    finally:
        release.set()
        stop(server, store)


def occupy_workers(api: Api, count: int) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=api.call, args=("POST", "/v1/events", signed_up(f"c{i}")))
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    wait_until(lambda: api.server.connection_counts()["serving"] == count)
    return threads


def test_a_request_beyond_the_busy_workers_gets_a_quick_503_with_retry_after(
    tmp_path: Path,
) -> None:
    with busy_server(tmp_path, max_connections=2, timeout=5.0) as (api, release):
        threads = occupy_workers(api, 2)

        started = time.monotonic()
        status, headers, body = api.call("POST", "/v1/events", signed_up("late"))
        elapsed = time.monotonic() - started

        assert status == 503 and elapsed < 1.0
        assert headers["Retry-After"] == "1"
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(body)["error"] == "too many requests at once; try again shortly"
        assert api.json("GET", "/healthz", token=None) == (200, {"status": "ok"})  # own pool

        release.set()
        for thread in threads:
            thread.join(5)
        wait_until(lambda: api.server.connection_counts()["serving"] == 0)
        metrics = api.call("GET", "/metrics")[2].decode()
        assert "journey_http_connections_refused_total 1\n" in metrics
        assert "journey_http_requests_in_progress 1\n" in metrics  # the /metrics call itself


def test_a_flood_of_silent_clients_holds_no_thread_and_leaves_room_for_a_token(
    tmp_path: Path,
) -> None:
    cap, flood = 8, 200
    with live_server(tmp_path, max_connections=cap, timeout=5.0) as api:
        threads_before = threading.active_count()
        conns = [connect(api.server) for _ in range(flood)]
        try:
            wait_until(lambda: api.server.connection_counts()["waiting"] == flood)
            assert threading.active_count() == threads_before
            assert api.call("GET", "/metrics")[0] == 200
            assert api.json("POST", "/v1/events", signed_up())[0] == 202
        finally:
            for conn in conns:
                conn.close()
        wait_until(lambda: open_connections(api.server) == 0)


def test_a_request_body_sent_to_a_refused_request_does_not_hide_the_503(
    tmp_path: Path,
) -> None:
    """The refused socket is drained before it closes, so no reset destroys the answer.

    The body is larger than the sockets' buffers: the client is still sending when
    the 503 arrives, and only reads it afterwards.
    """
    with busy_server(tmp_path, max_connections=1, timeout=5.0) as (api, _release):
        occupy_workers(api, 1)
        with connect(api.server) as conn:
            body = b"[" + b" " * 16_000_000 + json.dumps(signed_up("late")).encode() + b"]"
            conn.sendall(
                b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            reply = read_all(conn)
        assert reply.startswith(b"HTTP/1.1 503 ")
        assert api.store.count_events("late", "signed_up", None, NOW) == 0


def test_max_connections_comes_from_the_workspace_with_a_default(tmp_path: Path) -> None:
    assert HttpSettings().max_connections == 64
    workspace = build_workspace(tmp_path, {"http": {"max_connections": 8}})
    assert workspace.http.max_connections == 8
    (tmp_path / "workspace.yaml").write_text("http:\n  max_connections: 0\n")
    _, problems, _ = check_workspace(tmp_path)
    assert [(p.code, p.location.line) for p in problems] == [("invalid-value", 2)]
    for wrong in (0, True, "8"):  # reported by validation; the daemon keeps the default
        settings = build_workspace(tmp_path, {"http": {"max_connections": wrong}}).http
        assert settings.max_connections == 64


# --------------------------------------------------------------------- slow clients


def test_a_client_trickling_its_headers_is_cut_off_by_the_deadline(tmp_path: Path) -> None:
    """Each byte comes well within the idle timeout; the request as a whole does not."""
    with live_server(tmp_path, timeout=0.5) as api, connect(api.server) as conn:
        conn.sendall(b"POST /v1/events HTTP/1.1\r\n")
        started = time.monotonic()
        cut_off = False
        for byte in b"X-Padding: " + b"a" * 100:
            if closed_by_server(conn):
                cut_off = True
                break
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                cut_off = True
                break
            time.sleep(0.05)
        assert cut_off, "the server kept reading a request trickled in for 5 s"
        assert time.monotonic() - started < 1.5
        wait_until(lambda: open_connections(api.server) == 0)


def test_a_body_trickled_in_is_cut_off_and_nothing_is_stored(tmp_path: Path) -> None:
    body = json.dumps(signed_up()).encode().ljust(2000)
    with live_server(tmp_path, timeout=0.5) as api, connect(api.server) as conn:
        conn.sendall(
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        started = time.monotonic()
        cut_off = False
        for offset in range(0, len(body), 10):
            if closed_by_server(conn):
                cut_off = True
                break
            try:
                conn.sendall(body[offset : offset + 10])
            except OSError:
                cut_off = True
                break
            time.sleep(0.05)
        assert cut_off and time.monotonic() - started < 1.5
        assert api.store.count_events("c1", "signed_up", None, NOW) == 0


def test_a_keep_alive_connection_gets_a_fresh_deadline_per_request(tmp_path: Path) -> None:
    """Three requests on one connection over more than the timeout, each quick: all answered."""
    with live_server(tmp_path, timeout=0.5) as api:
        host, port = api.server.server_address[:2]
        conn = http.client.HTTPConnection(str(host), port, timeout=5)
        try:
            for _ in range(3):
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                assert response.status == 200
                response.read()
                time.sleep(0.3)
        finally:
            conn.close()


def test_a_client_that_resets_mid_body_is_no_error_and_no_traceback(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="journey.http")
    with live_server(tmp_path, timeout=5.0) as api:
        conn = connect(api.server)
        conn.sendall(
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + TOKEN.encode() + b"\r\nContent-Length: 1000\r\n\r\n{"
        )
        wait_until(lambda: open_connections(api.server) == 1)
        time.sleep(0.1)  # the handler is now waiting for the rest of the body
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # a reset, not a goodbye
        wait_until(lambda: open_connections(api.server) == 0)
        assert api.json("GET", "/healthz", token=None)[0] == 200
    assert "Traceback" not in capfd.readouterr().err
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

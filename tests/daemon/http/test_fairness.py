"""Unauthenticated and slow clients never starve the authorised ones.

An operator's story: an attacker opens hundreds of connections and trickles
header bytes into them, slower than any deadline notices. The integration
that holds the token keeps getting its answers, every time.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
from pathlib import Path

from tests.daemon.http.live_api import signed_up
from tests.daemon.http.test_limits import connect, live_server, wait_until


def trickle(conns: list[socket.socket], stop: threading.Event) -> None:
    """A header byte to every connection in turn, every 50 ms, until told to stop."""
    for conn in conns:
        conn.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nX-Pad: ")
    while not stop.wait(0.05):
        for conn in conns:
            with contextlib.suppress(OSError):  # evicted or timed out: it was the attacker's
                conn.sendall(b"a")


def test_300_slow_unauthenticated_connections_leave_every_authorised_request_its_answer(
    tmp_path: Path,
) -> None:
    with live_server(tmp_path, timeout=5.0) as api:
        conns = [connect(api.server) for _ in range(300)]
        stop = threading.Event()
        attacker = threading.Thread(target=trickle, args=(conns, stop))
        attacker.start()
        try:
            wait_until(lambda: api.server.connection_counts()["waiting"] >= 300)
            statuses = [api.json("POST", "/v1/events", signed_up(f"c{i}"))[0] for i in range(50)]
            assert statuses == [202] * 50
            assert api.server.connection_counts()["waiting"] >= 300  # the attack was still on
        finally:
            stop.set()
            attacker.join(5)
            for conn in conns:
                conn.close()


def test_when_waiting_connections_hit_the_cap_the_oldest_make_room(tmp_path: Path) -> None:
    with live_server(tmp_path, timeout=5.0, max_waiting=20) as api:
        silent = [connect(api.server) for _ in range(60)]
        try:
            wait_until(lambda: api.server.connection_counts()["evicted"] >= 40)
            assert api.server.connection_counts()["waiting"] <= 20
            assert api.json("POST", "/v1/events", signed_up())[0] == 202
            assert all(conn.recv(1) == b"" for conn in silent[:40])  # closed by the server
        finally:
            for conn in silent:
                conn.close()


def test_an_idle_keep_alive_connection_is_closed_before_a_waiting_one(tmp_path: Path) -> None:
    with live_server(tmp_path, timeout=5.0, max_waiting=20) as api:
        silent = [connect(api.server) for _ in range(19)]
        host, port = api.server.server_address[:2]
        keep_alive = http.client.HTTPConnection(str(host), port, timeout=5)
        try:
            keep_alive.request("GET", "/healthz")
            assert keep_alive.getresponse().read()
            wait_until(lambda: api.server.connection_counts()["waiting"] == 20)
            newcomer = connect(api.server)
            wait_until(lambda: api.server.connection_counts()["evicted"] == 1)
            assert keep_alive.sock is not None and keep_alive.sock.recv(1) == b""
            assert api.server.connection_counts()["waiting"] == 20  # the 19 and the newcomer
            newcomer.close()
        finally:
            keep_alive.close()
            for conn in silent:
                conn.close()

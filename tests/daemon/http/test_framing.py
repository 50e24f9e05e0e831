"""Request smuggling over raw sockets: every ambiguous framing is refused, never guessed.

An attacker's story: a proxy in front of the daemon reads a request's framing
one way, the daemon another, and the bytes left over become a second request
the proxy never saw. The daemon refuses every request whose framing RFC 9112
calls invalid or ambiguous with a 4xx JSON error and closes the connection:
nothing behind it is read as a request, nothing is stored.
"""

from __future__ import annotations

import json
import re
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.daemon.http.live_api import NOW, TOKEN, Api, read_all, signed_up

EVENT = json.dumps(signed_up()).encode()
SMUGGLED = b"POST /v1/contacts HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
HEAD = (
    b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
)
CL = b"Content-Length: " + str(len(EVENT)).encode()


def chunked(data: bytes) -> bytes:
    return hex(len(data))[2:].encode() + b"\r\n" + data + b"\r\n0\r\n\r\n"


ATTACKS = {
    "space before the colon": HEAD + b"Transfer-Encoding : chunked\r\n\r\n" + chunked(EVENT),
    "space before the colon of Content-Length": HEAD + b"Content-Length : 3\r\n\r\n" + EVENT,
    "two differing Content-Lengths": HEAD + CL + b"\r\nContent-Length: 3\r\n\r\n" + EVENT,
    "a Content-Length list that differs": HEAD + CL + b", 3\r\n\r\n" + EVENT,
    "Content-Length with a plus sign": HEAD + b"Content-Length: +" + CL[16:] + b"\r\n\r\n" + EVENT,
    "Content-Length with an underscore": HEAD + b"Content-Length: 4_4\r\n\r\n" + EVENT,
    "Content-Length in hex": HEAD + b"Content-Length: 0x10\r\n\r\n" + EVENT,
    "negative Content-Length": HEAD + b"Content-Length: -1\r\n\r\n" + EVENT,
    "Content-Length and Transfer-Encoding": HEAD
    + CL
    + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
    + chunked(EVENT),
    "Transfer-Encoding and Content-Length": HEAD
    + b"Transfer-Encoding: chunked\r\n"
    + CL
    + b"\r\n\r\n"
    + chunked(EVENT),
    "an unknown transfer coding": HEAD + b"Transfer-Encoding: xchunked\r\n\r\n" + EVENT,
    "chunked twice": HEAD + b"Transfer-Encoding: chunked, chunked\r\n\r\n" + chunked(EVENT),
    "a chunk size that is not hex": HEAD
    + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"
    + EVENT
    + b"\r\n0\r\n\r\n",
    "a chunk size with a sign": HEAD + b"Transfer-Encoding: chunked\r\n\r\n+" + chunked(EVENT),
    "a chunk longer than its size": HEAD
    + b"Transfer-Encoding: chunked\r\n\r\n2\r\n"
    + EVENT
    + b"\r\n0\r\n\r\n",
    "obs-fold": HEAD + b"X-Note: a\r\n folded\r\n" + CL + b"\r\n\r\n" + EVENT,
    "obs-fold of Transfer-Encoding": HEAD
    + b"X-Note: a\r\n\tTransfer-Encoding: chunked\r\n"
    + CL
    + b"\r\n\r\n"
    + EVENT,
    "a bare LF ending a header": HEAD + CL + b"\n\r\n" + EVENT,
    "bare LFs throughout": HEAD.replace(b"\r\n", b"\n") + CL + b"\n\n" + EVENT,
    "a bare CR inside a header": HEAD
    + b"X-Note: a\rTransfer-Encoding: chunked\r\n"
    + CL
    + b"\r\n\r\n"
    + EVENT,
    "a NUL byte in a header": HEAD + b"X-Note: a\x00b\r\n" + CL + b"\r\n\r\n" + EVENT,
    "a header name with a space": HEAD + b"Content Length: 3\r\n" + CL + b"\r\n\r\n" + EVENT,
    "no Host": HEAD.replace(b"Host: x\r\n", b"") + CL + b"\r\n\r\n" + EVENT,
    "two Hosts": HEAD + b"Host: y\r\n" + CL + b"\r\n\r\n" + EVENT,
    "two Authorization headers": HEAD
    + b"Authorization: Bearer other\r\n"
    + CL
    + b"\r\n\r\n"
    + EVENT,
    "oversized headers": HEAD + b"X-Pad: " + b"a" * 20_000 + b"\r\n" + CL + b"\r\n\r\n" + EVENT,
    "many headers": HEAD + b"X-Pad: aaaaaaaaaaaaaaaa\r\n" * 2000 + CL + b"\r\n\r\n" + EVENT,
    "a request line that is not HTTP": b"POST /v1/events HTTX/1.1\r\nHost: x\r\n\r\n",
}


def exchange(api: Api, raw: bytes) -> bytes:
    host, port = api.server.server_address[:2]
    with socket.create_connection((str(host), port), timeout=5) as conn:
        conn.sendall(raw)
        return read_all(conn)  # returns only once the server closed


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_ambiguous_framing_is_refused_and_the_connection_closed(api: Api, attack: str) -> None:
    reply = exchange(api, ATTACKS[attack] + SMUGGLED)
    status = int(reply.split(b" ", 2)[1])
    assert 400 <= status < 500 or status == 501, reply[:200]
    if attack in ("oversized headers", "many headers"):
        assert status == 431  # Request Header Fields Too Large
    assert reply.count(b"HTTP/1.1 ") == 1  # the smuggled request was never read
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b"application/json" in head and b"Connection: close" in head
    assert "error" in json.loads(body)
    assert api.store.count_events("c1", "signed_up", None, NOW) == 0


def test_well_framed_chunked_and_pipelined_requests_are_served(api: Api) -> None:
    """The same server still speaks HTTP/1.1 in full: chunked bodies, keep-alive, pipelining."""
    chunked_event = HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(EVENT)
    health = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    reply = exchange(api, chunked_event + health)
    assert reply.startswith(b"HTTP/1.1 202 ") and reply.count(b"HTTP/1.1 200 ") == 1
    assert api.store.count_events("c1", "signed_up", None, NOW) == 1


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    junk=st.binary(min_size=1, max_size=40).filter(lambda b: b"\n" not in b),
    where=st.sampled_from(["name", "value", "length"]),
)
def test_a_mangled_header_is_refused_alone_or_the_request_is_read_as_framed(
    api: Api, junk: bytes, where: str
) -> None:
    """Whatever bytes land in a header: one answer and the connection closes, or the body is
    taken with the length it declared and the bytes after it are answered as the next request."""
    line = {
        "name": junk + b": x",
        "value": b"X-Junk: " + junk,
        "length": b"Content-Length: " + junk,
    }[where]
    raw = HEAD + line + b"\r\n" + (b"" if where == "length" else CL + b"\r\n") + b"\r\n"
    reply = exchange(api, raw + EVENT + SMUGGLED)
    statuses = [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", reply)]
    assert statuses[0] < 500 or statuses[0] == 501  # 501: an unknown transfer coding
    if b"Connection: close" in reply.split(b"\r\n\r\n", 1)[0]:
        assert len(statuses) == 1, reply[:300]  # refused: nothing after it was read
    else:  # well framed: what follows the declared body is answered as the next request
        assert len(statuses) >= 2 and statuses[0] != 501

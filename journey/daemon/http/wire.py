"""The few RFC 9112 framing rules h11 leaves to the server, checked on a head h11 accepted.

h11 parses every request (it refuses whitespace before a colon, conflicting
or non-decimal Content-Length, bad chunk sizes, control characters). Where
RFC 9112 lets a server choose and h11 chose leniency, we refuse, because a
proxy in front may have read the same bytes differently (request smuggling):

- a line folded onto the next (obs-fold, section 5.2) and a bare LF as a line
  end (section 2.2): h11 accepts both;
- Content-Length together with Transfer-Encoding (section 6.1): h11 lets
  Transfer-Encoding win;
- a head over `MAX_HEAD_BYTES` that arrived in one read;
- a repeated `Authorization`, `Content-Type` or `Host`.
"""

from __future__ import annotations

import re
from http import HTTPStatus

import h11

from journey.daemon.http.limits import MAX_HEAD_BYTES

_HEAD_END = re.compile(rb"\n\r?\n")
_SINGLE = (b"authorization", b"content-type", b"host")


def head_problem(raw: bytes, request: h11.Request) -> tuple[HTTPStatus, str] | None:
    """Why this head must be refused, or None. `raw` starts with the head's first byte."""
    end = _HEAD_END.search(raw)
    head = raw[: end.end()] if end else raw
    if len(head) > MAX_HEAD_BYTES:
        return HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers are too large"
    lines = head.lstrip(b"\r\n").split(b"\n")[:-1]  # the last piece follows the final LF
    for number, line in enumerate(lines):
        if not line.endswith(b"\r"):
            return HTTPStatus.BAD_REQUEST, "a line of the request ends in a bare LF"
        if number and line[:1] in (b" ", b"\t"):
            return HTTPStatus.BAD_REQUEST, "a header is folded onto the next line (obs-fold)"
    names = [name for name, _ in request.headers]
    if b"content-length" in names and b"transfer-encoding" in names:
        return HTTPStatus.BAD_REQUEST, "Content-Length and Transfer-Encoding together"
    for name in _SINGLE:
        if names.count(name) > 1:
            return HTTPStatus.BAD_REQUEST, f"more than one {name.decode()} header"
    return None


def header_map(request: h11.Request) -> dict[str, str]:
    """Header names in lower case -> value (latin-1, as the bytes came; the first of a repeat)."""
    headers: dict[str, str] = {}
    for name, value in request.headers:
        headers.setdefault(name.decode("ascii"), value.decode("latin-1"))
    return headers

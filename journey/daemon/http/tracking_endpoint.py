"""`GET|HEAD /v1/t/{token}`: a tracked link's redirect and the open pixel (journey.tracking).

Public (no bearer token: the link is in an email) and never an open redirect:
the token is checked against the store's key ring before anything else, and
the target comes from the stored message. Anything forged, truncated or too
long is a 404 without a store read. Recording is the daemon's (`track`); a
store that cannot take the hit now still sends the person on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus

from journey.tracking.tokens import BadToken, TrackedHit, verify_tracking_token

log = logging.getLogger("journey.http")

# A transparent 1x1 GIF.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
_NOT_FOUND = b"This link does not work. Copy the whole link from the message.\n"

# (hit, method, user agent) -> the click's target, "" for an open, None for no such message.
Track = Callable[[TrackedHit, str, str], str | None]


@dataclass(frozen=True, slots=True)
class TrackReply:
    status: HTTPStatus
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def track_reply(
    token: str, method: str, user_agent: str, keys: Sequence[bytes], track: Track | None
) -> TrackReply:
    if track is None or not keys:
        return _text(HTTPStatus.NOT_FOUND, _NOT_FOUND)
    try:
        hit = verify_tracking_token(keys, token)
    except BadToken:
        return _text(HTTPStatus.NOT_FOUND, _NOT_FOUND)
    target = track(hit, method, user_agent[:512])
    if target is None:
        return _text(HTTPStatus.NOT_FOUND, _NOT_FOUND)
    if hit.is_open:
        return TrackReply(HTTPStatus.OK, PIXEL, "image/gif")
    return TrackReply(
        HTTPStatus.FOUND,
        b"",
        "text/plain; charset=utf-8",
        {"Location": target, "Referrer-Policy": "no-referrer"},
    )


def _text(status: HTTPStatus, body: bytes) -> TrackReply:
    return TrackReply(status, body, "text/plain; charset=utf-8")

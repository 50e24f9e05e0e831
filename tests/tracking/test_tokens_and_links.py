"""Tracked links as a receiver gets them, and the tokens behind them under hostile edits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from journey.model import Message
from journey.tracking.links import track_message
from journey.tracking.machine import machine_reason
from journey.tracking.settings import build_tracking, url_problem
from journey.tracking.tokens import (
    OPEN,
    BadToken,
    make_tracking_token,
    verify_tracking_token,
)
from journey.unsubscribe import make_unsubscribe_token

KEY = b"k" * 32
OLD_KEY = b"o" * 32
SETTINGS = build_tracking({"base_url": "https://t.example.com", "opens": True})
HTML = (
    '<html><body><a class="b" href="https://shop.example/x?a=1&amp;b=2" '
    'data-journey-label="cta">Buy</a> <a href="mailto:x@example.com">mail</a> '
    '<a href="https://shop.example/raw" data-journey-track="off">raw</a> '
    '<a href="https://u.example/v1/unsubscribe/t">leave</a></body></html>'
)


def message() -> Message:
    return Message(
        delivery_key="d1",
        channel="email",
        message="email",
        to="a@example.com",
        locale="en",
        text="Buy: https://shop.example/x?a=1&b=2. Leave: https://u.example/v1/unsubscribe/t",
        html=HTML,
        unsubscribe_url="https://u.example/v1/unsubscribe/t",
    )


def test_links_are_rewritten_labelled_and_the_pixel_added() -> None:
    assert SETTINGS is not None
    tracked = track_message(message(), SETTINGS, KEY)
    assert tracked.tracked_links == [{"url": "https://shop.example/x?a=1&b=2", "label": "cta"}]
    assert tracked.html is not None
    hrefs = re.findall(r'href="([^"]+)"', tracked.html)
    assert hrefs[0].startswith("https://t.example.com/v1/t/")
    assert hrefs[1:] == [
        "mailto:x@example.com",
        "https://shop.example/raw",
        "https://u.example/v1/unsubscribe/t",
    ]
    assert "data-journey-" not in tracked.html
    assert tracked.html.index("<img") < tracked.html.index("</body>")
    assert hrefs[0] + "." in tracked.text  # the text part shares the HTML link's entry
    assert "https://u.example/v1/unsubscribe/t" in tracked.text  # never tracked
    token = hrefs[0].rsplit("/", 1)[1]
    hit = verify_tracking_token([KEY], token)
    assert (hit.delivery_key, hit.index) == ("d1", 0)


def test_a_rotated_out_key_still_verifies_and_a_stranger_does_not() -> None:
    token = make_tracking_token(OLD_KEY, "d1", OPEN)
    assert verify_tracking_token([KEY, OLD_KEY], token).is_open
    with pytest.raises(BadToken):
        verify_tracking_token([KEY], token)


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # forged
        lambda t: t[:-5],  # truncated
        lambda t: t.split(".")[0],  # no signature
        lambda t: t + "A" * 600,  # oversized
        lambda t: t.replace(".", ".="),  # not the canonical spelling
        lambda _: make_unsubscribe_token(KEY, "c1", "promo"),  # another purpose
        lambda _: "",
    ],
)
def test_edited_tokens_are_refused(edit: object) -> None:
    token = make_tracking_token(KEY, "d1", 3)
    with pytest.raises(BadToken):
        verify_tracking_token([KEY], edit(token))  # type: ignore[operator]


def test_machines_are_told_apart_from_people() -> None:
    sent = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    soon, later = sent + timedelta(seconds=2), sent + timedelta(hours=1)
    window = timedelta(seconds=10)
    browser = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    proxy = (
        "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
    )

    def reason(method: str, agent: str, is_open: bool, now: datetime) -> str | None:
        return machine_reason(
            method=method, user_agent=agent, is_open=is_open, sent_at=sent, now=now, window=window
        )

    assert reason("HEAD", browser, False, later) == "head"
    assert reason("GET", "Barracuda Sentinel (EE)", False, later) == "scanner"
    assert reason("GET", proxy, True, soon) == "proxy"
    assert reason("GET", proxy, True, later) is None  # Gmail fetching for a person
    assert reason("GET", browser, False, soon) == "too-soon"
    assert reason("GET", browser, False, later) is None
    assert reason("GET", browser, True, soon) is None


def test_the_base_must_be_public_https() -> None:
    assert url_problem("https://t.example.com") is None
    assert url_problem("http://t.example.com") is not None
    assert url_problem("https://t.example.com/?x=1") is not None
    assert url_problem(None) is not None
    assert build_tracking({"base_url": "http://t.example.com"}) is None
    assert build_tracking(False) is None

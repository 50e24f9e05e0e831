"""At send time every header-bound field is one clean line and the recipient a real address."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journey.channels import read_outbox
from journey.channels.checks import _first_problem, message_problem
from journey.channels.mime import EmailIdentity, build_email, email_bytes
from journey.clock import VirtualClock
from journey.errors import DeliveryError
from journey.model import Message
from tests.channels.conftest import NOW
from tests.channels.test_outbox_channel import outbox
from tests.channels.test_webhook_channel import request, webhook_channel
from tests.support.http_server import HttpTestServer

IDENTITY = EmailIdentity(sender="Acme <news@acme.example>")
EXPECTED_HEADERS = {
    *("from", "to", "subject", "date", "message-id", "mime-version", "content-type"),
    *("content-transfer-encoding", "x-journey-delivery-key", "x-campaign"),
    *("list-unsubscribe", "list-unsubscribe-post"),
}
HEADER_POISON = ["\r\nBcc: v@example.com", "\n", "\x00", "\x85", "\u2028", "\ud800", "\x1b"]


@pytest.mark.parametrize("poison", HEADER_POISON, ids=repr)
@pytest.mark.parametrize("field", ["subject", "preheader", "title", "header"])
def test_a_control_or_line_break_in_any_header_field_refuses_the_message(
    make_message: Callable[..., Message], field: str, poison: str
) -> None:
    if field == "header":
        message = make_message(headers={"X-Campaign": f"spring{poison}"})
    else:
        message = make_message(**{field: f"Hello{poison}there"})
    problem = message_problem(message)
    assert problem is not None
    with pytest.raises(ValueError, match=re.escape(problem)):
        build_email(message, IDENTITY, now=NOW)


@pytest.mark.parametrize(
    ("kind", "to"),
    [
        ("email", "a@example.com\r\nBcc: v@example.com"),
        ("email", "a@example.com, v@example.com"),
        ("email", "Ann <a@example.com>"),
        ("sms", "0701234567"),
        ("sms", "+46701234567\n"),
    ],
)
def test_a_recipient_that_is_not_one_address_is_refused(
    make_message: Callable[..., Message], kind: str, to: str
) -> None:
    problem = message_problem(make_message(message=kind, to=to))
    assert problem is not None and "recipient" in problem


def test_bodies_keep_newlines_and_tabs_but_not_nul_or_surrogates(
    make_message: Callable[..., Message],
) -> None:
    assert message_problem(make_message(text="a\n\tb\r\n")) is None
    assert message_problem(make_message(text="a\x00b")) is not None
    assert message_problem(make_message(html="<p>\udc80</p>")) is not None


def test_the_outbox_writes_the_good_messages_of_a_batch_and_refuses_the_bad_one_alone(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    channel = outbox(tmp_path, clock)
    batch = [make_message(delivery_key=f"k{n}") for n in range(5)]
    batch.insert(2, make_message(delivery_key="bad", text="Hej \ud800"))
    answers = channel.deliver_many(batch)
    refused = [n for n, answer in enumerate(answers) if isinstance(answer, DeliveryError)]
    assert refused == [2]
    bad = answers[2]
    assert isinstance(bad, DeliveryError) and bad.permanent
    assert [r["delivery_key"] for r in read_outbox(channel.path)] == [f"k{n}" for n in range(5)]
    with pytest.raises(DeliveryError):
        channel.deliver(make_message(delivery_key="bad2", subject="\udfff"))


@pytest.mark.parametrize("value", ["x\r\nX-Injected: 1", "x\x00", "x\ud800"], ids=repr)
def test_a_webhook_header_with_a_line_break_is_a_permanent_failure_and_nothing_is_sent(
    http_server: HttpTestServer, clock: VirtualClock, value: str
) -> None:
    channel = webhook_channel(http_server.url, clock)
    with pytest.raises(DeliveryError) as caught:
        channel.call_webhook(request(headers={"X-Trace": value}))
    assert caught.value.permanent
    assert http_server.requests == []
    channel.call_webhook(request(headers={"X-Trace": "fine"}))
    assert len(http_server.requests) == 1


any_text = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(subject=any_text, header=any_text, to=st.one_of(any_text, st.emails()))
def test_no_text_in_any_field_can_add_a_header_to_the_email(
    subject: str, header: str, to: str
) -> None:
    message = Message(
        delivery_key="k",
        channel="email",
        message="email",
        to=to,
        locale="en",
        subject=subject,
        text="body",
        headers={"X-Campaign": header},
    )
    try:
        mail = build_email(message, IDENTITY, now=NOW)
    except ValueError:
        return  # refused: this one message fails, permanently
    for utf8 in (False, True):
        parsed = email.message_from_bytes(email_bytes(mail, utf8=utf8), policy=email.policy.default)
        names = {name.lower() for name in parsed}
        assert names <= EXPECTED_HEADERS, names - EXPECTED_HEADERS
        # the words come back; whitespace at either end may or may not survive folding
        assert str(parsed["Subject"]).strip() == subject.strip()
        assert str(parsed["X-Campaign"]).strip() == header.strip()


def _answer(message: Message) -> str:
    try:
        return repr(message_problem(message))
    except Exception as exc:  # a field that is not text raises as it always did
        return f"raises {type(exc).__name__}"


def _answer_in_full(message: Message) -> str:
    try:
        return repr(_first_problem(message))
    except Exception as exc:
        return f"raises {type(exc).__name__}"


field_value = st.one_of(
    st.none(),
    any_text,
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2030), min_size=60),
    st.sampled_from([0, 7, b"bytes", ["a"], {"k": "v"}]),
)


@settings(max_examples=400, deadline=None)
@given(
    to=st.one_of(any_text, st.emails()),
    subject=field_value,
    preheader=field_value,
    title=field_value,
    key=field_value,
    text=field_value,
    html=field_value,
    headers=st.dictionaries(any_text, st.one_of(any_text, st.integers()), max_size=2),
)
def test_the_quick_check_answers_what_the_field_by_field_check_answers(
    to: str,
    subject: Any,
    preheader: Any,
    title: Any,
    key: Any,
    text: Any,
    html: Any,
    headers: dict[str, Any],
) -> None:
    message = Message(
        delivery_key=key,
        channel="email",
        message="email",
        to=to,
        locale="en",
        subject=subject,
        preheader=preheader,
        title=title,
        text=text,
        html=html,
        headers=headers,
    )
    assert _answer(message) == _answer_in_full(message)


LONG_BODY = "<p>Hej Åsa, long enough for the quick check's byte path</p>\n\t" * 3


@pytest.mark.parametrize("poison", [*HEADER_POISON, "\x0b", "\x7f", "\x9f", "\t"], ids=repr)
@pytest.mark.parametrize("where", ["short", "long", "long\u00a0"])
@pytest.mark.parametrize(
    "field", ["to", "subject", "preheader", "title", "delivery_key", "text", "html", "header"]
)
def test_one_hostile_field_is_found_by_the_quick_check_as_by_the_full_one(
    make_message: Callable[..., Message], field: str, where: str, poison: str
) -> None:
    value = ("x" if where == "short" else LONG_BODY + where[4:]) + poison + "y"
    if field == "header":
        message = make_message(headers={"X-Campaign": value})
    else:
        message = make_message(**{field: value})
    assert _answer(message) == _answer_in_full(message)

"""Can this one message go out? The send-time half of the text rules, for every channel.

Data stored before the ingest door checked it, or text a template produced,
reaches here; a message that fails is refused alone (a permanent failure of
that delivery), never its batch. Whatever ends up in a header (recipient,
subject, preheader, push title, header names and values) must be one line
without controls, so header injection is impossible; bodies may hold tab and
newlines; nothing may hold a lone surrogate, which no channel can encode.
"""

from __future__ import annotations

import re

from journey.addresses import AddressError, check_email, check_phone
from journey.model import Message
from journey.text import text_problem, visible

_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 field-name: printable ASCII but `:`


def message_problem(message: Message) -> str | None:
    """Why `message` cannot be sent on any channel, or None."""
    one_line = {
        "recipient": message.to,
        "subject": message.subject,
        "preheader": message.preheader,
        "title": message.title,
        "delivery key": message.delivery_key,
    }
    for name, value in message.headers.items():
        problem = header_problem(name, value)
        if problem:
            return problem
    for what, text in one_line.items():
        problem = text_problem(text, one_line=True) if text else None
        if problem:
            return f"the {what} {problem}"
    for what, text in (("text body", message.text), ("HTML body", message.html)):
        problem = text_problem(text, one_line=False) if text else None
        if problem:
            return f"the {what} {problem}"
    return address_problem(message)


def address_problem(message: Message) -> str | None:
    try:
        if message.message == "email":
            check_email(message.to)
        elif message.message == "sms":
            check_phone(message.to)
    except AddressError as exc:
        return f"recipient {exc}"
    return None


def header_problem(name: str, value: str) -> str | None:
    """A valid field name and a one-line value without controls, or why not."""
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        return f"not a valid header name: {visible(str(name))!r}"
    if not isinstance(value, str):
        return f"the header {name} is not text"
    problem = text_problem(value, one_line=True)
    return f"the header {name} {problem}" if problem else None

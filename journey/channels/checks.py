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
from journey.text import text_clean, text_problem, visible

_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 field-name: printable ASCII but `:`


def message_problem(message: Message) -> str | None:
    """Why `message` cannot be sent on any channel, or None."""
    if not _texts_clean(message):
        return _first_problem(message)  # which field, and why
    for name, value in message.headers.items():
        problem = header_problem(name, value)
        if problem:
            return problem
    return address_problem(message)


def _texts_clean(message: Message) -> bool:
    """True when no one-line field and no body holds a character the rules refuse.

    The common answer, for one check of the one-line fields joined (each rule is
    about single characters, so the join holds a refused one when a field does)
    and one per body; False also for a field that is not text, which
    `_first_problem` then reports (or raises on) as before.
    """
    text, html = message.text or "", message.html or ""
    if type(text) is not str or type(html) is not str:
        return False
    try:
        one_line = "".join(
            (
                message.to or "",
                message.subject or "",
                message.preheader or "",
                message.title or "",
                message.delivery_key or "",
            )
        )
    except TypeError:  # a field that is not text
        return False
    return (
        text_clean(one_line, one_line=True)
        and (not text or text_clean(text, one_line=False))
        and (not html or text_clean(html, one_line=False))
    )


def _first_problem(message: Message) -> str | None:
    """The first problem in the order the checks name them: headers, one-line fields,
    bodies, the recipient's address."""
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

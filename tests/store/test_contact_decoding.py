"""A contact row read again soon after (the runner's read, then the worker's) is decoded once:
by the row's exact columns, so every answer is what decoding that row gives."""

from __future__ import annotations

from datetime import UTC, datetime

from journey.model import Contact
from journey.store import codec

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def row(consent: str) -> tuple[object, ...]:
    attributes = '{"plan":"trial","score":0.5}'
    return ("c1", "c1@example.com", None, "en_GB", None, codec.ts(T0), consent, attributes, "{}")


def test_the_same_row_is_decoded_once_and_a_changed_one_again() -> None:
    first = codec.contact_from_row(row('{"email":true}'))
    assert codec.contact_from_row(row('{"email":true}')) is first
    assert first == Contact(
        id="c1",
        email="c1@example.com",
        locale="en_GB",
        created_at=T0,
        consent={"email": True},
        attributes={"plan": "trial", "score": 0.5},
    )
    changed = codec.contact_from_row(row('{"email":false}'))
    assert changed is not first and not changed.has_consent("email")
    assert first.has_consent("email")


def test_what_is_kept_is_bounded() -> None:
    for number in range(codec._CONTACTS_KEPT + 10):
        codec.contact_from_row(row(f'{{"email":true,"n{number}":true}}'))
    assert len(codec._CONTACTS) <= codec._CONTACTS_KEPT


def test_a_contact_with_many_attributes_is_not_kept() -> None:
    big = (*row('{"email":true}')[:7], '{"notes":"' + "x" * 5000 + '"}', "{}")
    assert codec.contact_from_row(big) is not codec.contact_from_row(big)
    assert codec.contact_from_row(big) == codec.contact_from_row(big)

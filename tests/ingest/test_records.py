from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from journey.ingest import (
    ContactChange,
    RecordError,
    apply_contact_change,
    contact_from_record,
    parse_contact,
    parse_event,
)
from journey.model import Contact

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

SPEC_CONTACT = {
    "id": "c-1042",
    "email": "a@example.com",
    "phone": "+46701234567",
    "locale": "sv-SE",
    "timezone": "Europe/Stockholm",
    "created_at": "2026-03-01T10:00:00Z",
    "consent": {"email": True, "sms": False},
    "first_name": "Astrid",
    "plan": "trial",
}


def test_spec_contact_splits_reserved_keys_from_attributes() -> None:
    contact = contact_from_record(SPEC_CONTACT)
    assert contact.id == "c-1042"
    assert contact.locale == "sv-SE"
    assert contact.timezone == "Europe/Stockholm"
    assert contact.created_at == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert contact.consent == {"email": True, "sms": False}
    assert contact.attributes == {"first_name": "Astrid", "plan": "trial"}


def test_numeric_id_is_rejected_with_a_hint() -> None:
    with pytest.raises(
        RecordError, match=r'`id` must be a string, not the number 1042 \(write "1042"\)'
    ):
        parse_contact({"id": 1042})


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({}, "`id` is required"),
        ({"id": ""}, "`id` must not be empty"),
        ({"id": "a\x1fb"}, r"control character U\+001F"),
        ([1, 2], "a contact must be a JSON object, not a list"),
        ({"id": "c", "consent": {"email": "yes"}}, r"`consent.email` must be true or false"),
        ({"id": "c", "consent": True}, "`consent` must be a JSON object"),
        ({"id": "c", "timezone": "Mars/Olympus"}, "IANA time zone"),
        ({"id": "c", "created_at": "2026-03-01T10:00:00"}, "has no time zone"),
        ({"id": "c", "created_at": "yesterday"}, "not an RFC 3339 timestamp"),
        ({"id": "c", "locale": 7}, "`locale` must be a string"),
        ({"id": "c", "delete": "yes"}, "`delete` must be true"),
        ({"id": "c", "delete": True, "email": "x@y"}, "only `id` and `delete: true`"),
    ],
)
def test_bad_contacts_are_rejected_with_the_key_at_fault(record: object, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        parse_contact(record)


def test_upsert_merges_attributes_key_by_key_and_null_deletes() -> None:
    old = contact_from_record(SPEC_CONTACT)
    change = parse_contact({"id": "c-1042", "plan": "paid", "first_name": None, "points": 5})
    new = apply_contact_change(old, change)
    assert new is not None
    assert new.attributes == {"plan": "paid", "points": 5}
    assert new.email == "a@example.com"  # untouched reserved keys stay


def test_consent_merges_per_channel() -> None:
    old = contact_from_record(SPEC_CONTACT)
    new = apply_contact_change(old, parse_contact({"id": "c-1042", "consent": {"sms": True}}))
    assert new is not None
    assert new.consent == {"email": True, "sms": True}


def test_topics_are_reserved_and_merge_per_topic_and_kind_of_message() -> None:
    first = apply_contact_change(
        None, parse_contact({"id": "c1", "topics": {"product_news": False, "tips": {"sms": True}}})
    )
    assert first is not None and "topics" not in first.attributes
    assert first.topics == {
        "product_news": {"email": False, "sms": False, "push": False},
        "tips": {"sms": True},
    }
    change = parse_contact({"id": "c1", "topics": {"product_news": {"sms": True}, "tips": None}})
    later = apply_contact_change(first, change)
    assert later is not None
    assert later.topics == {"product_news": {"email": False, "sms": True, "push": False}}


@pytest.mark.parametrize(
    ("topics", "message"),
    [
        ({"news": "no"}, "`topics.news` must be a JSON object"),
        ({"news": {"fax": False}}, "`topics.news` names `fax`; use email, sms or push"),
        ({"news": {"email": 1}}, "`topics.news.email` must be true or false"),
        (["news"], "`topics` must be a JSON object"),
    ],
)
def test_bad_topic_choices_are_rejected_with_the_key_at_fault(topics: object, message: str) -> None:
    with pytest.raises(RecordError, match=re.escape(message)):
        parse_contact({"id": "c1", "topics": topics})


def test_null_reserved_key_clears_it() -> None:
    old = contact_from_record(SPEC_CONTACT)
    new = apply_contact_change(old, parse_contact({"id": "c-1042", "email": None}))
    assert new is not None and new.email is None


def test_delete_request_erases() -> None:
    change = parse_contact({"id": "c-1042", "delete": True})
    assert change == ContactChange(id="c-1042", delete=True)
    assert apply_contact_change(Contact(id="c-1042"), change) is None


def test_new_contact_without_created_at_is_first_seen_now() -> None:
    new = apply_contact_change(None, parse_contact({"id": "c"}), now=NOW)
    assert new is not None and new.created_at == NOW
    kept = apply_contact_change(new, parse_contact({"id": "c"}), now=NOW + timedelta(days=1))
    assert kept is not None and kept.created_at == NOW


def test_spec_event_parses_to_utc() -> None:
    event = parse_event(
        {
            "id": "evt-77",
            "name": "order_placed",
            "contact_id": "c-1042",
            "timestamp": "2026-03-02T14:05:00+01:00",
            "properties": {"total": 499.0, "currency": "SEK"},
        },
        received_at=NOW,
    )
    assert event.id == "evt-77"
    assert event.timestamp == datetime(2026, 3, 2, 13, 5, tzinfo=UTC)
    assert event.timestamp.tzinfo is UTC
    assert event.properties == {"total": 499.0, "currency": "SEK"}
    assert event.received_at == NOW


def test_missing_timestamp_means_received_now() -> None:
    received = datetime(2026, 3, 2, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    event = parse_event({"name": "x", "contact_id": "c"}, received_at=received)
    assert event.timestamp == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_missing_id_is_sha256_of_canonical_json_of_the_other_fields() -> None:
    record = {"name": "x", "contact_id": "c", "timestamp": "2026-03-02T14:05:00+01:00"}
    event = parse_event(record, received_at=NOW)
    canonical = json.dumps(
        {"contact_id": "c", "name": "x", "properties": {}, "timestamp": "2026-03-02T13:05:00Z"},
        sort_keys=True,
        separators=(",", ":"),
    )
    assert event.id == hashlib.sha256(canonical.encode()).hexdigest()
    # the same event written with another offset is the same event
    same = parse_event({**record, "timestamp": "2026-03-02T13:05:00Z"}, received_at=NOW)
    assert same.id == event.id
    other = parse_event({**record, "properties": {"n": 1}}, received_at=NOW)
    assert other.id != event.id


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"contact_id": "c"}, "`name` is required"),
        ({"name": "x"}, "`contact_id` is required"),
        ({"name": "x", "contact_id": 7}, "`contact_id` must be a string"),
        ({"name": "x", "contact_id": "c", "timestamp": "2026-03-02T14:05:00"}, "no time zone"),
        ({"name": "x", "contact_id": "c", "timestamp": 1700000000}, "RFC 3339"),
        ({"name": "x", "contact_id": "c", "properties": [1]}, "`properties` must be a JSON"),
        ({"name": "x", "contact_id": "c", "type": "y"}, "unknown key `type`"),
        ({"name": "x", "contact_id": "c", "id": 5}, "`id` must be a string"),
        ("x", "an event must be a JSON object"),
    ],
)
def test_bad_events_are_rejected(record: object, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        parse_event(record, received_at=NOW)


def test_naive_received_at_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_event({"name": "x", "contact_id": "c"}, received_at=datetime(2026, 1, 1))

"""Every field of every contact and event is checked at the door, with the field named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from journey.ingest import RecordError, contact_from_record, parse_contact, parse_event
from journey.ingest.jsonl import loads_strict

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
EVENT = {"id": "e1", "name": "order_placed", "contact_id": "c1"}

BAD_TEXT = {
    "a lone surrogate": ("Ann\ud800", "lone surrogate"),
    "a low surrogate": ("\udc00", "lone surrogate"),
    "NUL": ("Ann\x00", "control character U\\+0000"),
    "ESC": ("\x1b[31mred", "control character U\\+001B"),
    "DEL": ("a\x7f", "control character U\\+007F"),
    "a C1 control (NEL)": ("a\x85b", "control character U\\+0085"),
}
ONE_LINE_ONLY = {
    "CR/LF": ("a\r\nBcc: x@example.com", "must be one line"),
    "a tab": ("a\tb", "must be one line"),
    "U+2028": ("a\u2028b", "must be one line"),
}


def _contact(**fields: Any) -> dict[str, Any]:
    return {"id": "c1", **fields}


@pytest.mark.parametrize("key", ["id", "locale"])
@pytest.mark.parametrize(("value", "message"), [*BAD_TEXT.values(), *ONE_LINE_ONLY.values()])
def test_one_line_contact_fields_refuse_controls_surrogates_and_line_breaks(
    key: str, value: str, message: str
) -> None:
    with pytest.raises(RecordError, match=f"`{key}` .*{message}"):
        parse_contact({**_contact(), key: value})


@pytest.mark.parametrize("key", ["id", "name", "contact_id"])
@pytest.mark.parametrize(("value", "message"), [*BAD_TEXT.values(), *ONE_LINE_ONLY.values()])
def test_event_identifiers_refuse_controls_surrogates_and_line_breaks(
    key: str, value: str, message: str
) -> None:
    with pytest.raises(RecordError, match=f"`{key}` .*{message}"):
        parse_event({**EVENT, key: value}, received_at=NOW)


@pytest.mark.parametrize(("value", "message"), list(BAD_TEXT.values()))
def test_attribute_and_property_text_refuses_controls_and_surrogates(
    value: str, message: str
) -> None:
    with pytest.raises(RecordError, match=f"`first_name` .*{message}"):
        parse_contact(_contact(first_name=value))
    with pytest.raises(RecordError, match=f"`profile.bio\\[1\\]` .*{message}"):
        parse_contact(_contact(profile={"bio": ["ok", value]}))
    with pytest.raises(RecordError, match=f"`properties.note` .*{message}"):
        parse_event({**EVENT, "properties": {"note": value}}, received_at=NOW)


def test_free_text_keeps_tab_and_newlines() -> None:
    contact = contact_from_record(_contact(address="Storgatan 1\r\n\tStockholm"))
    assert contact.attributes["address"] == "Storgatan 1\r\n\tStockholm"


@pytest.mark.parametrize("key", ["bad\x00key", "bad\nkey", "\ud800", "x" * 257, ""], ids=repr)
def test_attribute_property_and_consent_keys_are_checked(key: str) -> None:
    with pytest.raises(RecordError):
        parse_contact({**_contact(), key: 1})
    with pytest.raises(RecordError):
        parse_contact(_contact(nested={key: 1}))
    with pytest.raises(RecordError):
        parse_contact(_contact(consent={key: True}))
    with pytest.raises(RecordError):
        parse_event({**EVENT, "properties": {key: 1}}, received_at=NOW)


def test_non_string_keys_from_yaml_are_refused() -> None:
    with pytest.raises(RecordError, match="key that is not a string: 1"):
        parse_contact(_contact(nested={1: "one"}))
    with pytest.raises(RecordError, match="key that is not a string"):
        parse_event({**EVENT, "properties": {("a", "b"): 1}}, received_at=NOW)


def test_over_long_strings_and_deep_nesting_are_refused() -> None:
    with pytest.raises(RecordError, match="longer than 65536 characters"):
        parse_contact(_contact(bio="x" * 65_537))
    assert contact_from_record(_contact(bio="x" * 65_536)).attributes["bio"]
    with pytest.raises(RecordError, match="longer than 256 characters"):
        parse_contact({"id": "c" * 257})
    deep: Any = "leaf"
    for _ in range(40):
        deep = [deep]
    with pytest.raises(RecordError, match="nests deeper than 32 levels"):
        parse_contact(_contact(deep=deep))


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("1e400", "not a finite number"),
        ("-1e400", "not a finite number"),
        ("9223372036854775808", "beyond ±9223372036854775807"),
        ("-99999999999999999999999", "beyond ±9223372036854775807"),
    ],
)
def test_numbers_sqlite_cannot_store_or_query_are_refused(literal: str, message: str) -> None:
    record = loads_strict(f'{{"id": "c1", "points": {literal}}}')
    with pytest.raises(RecordError, match=f"`points` .*{message}"):
        parse_contact(record)
    event = loads_strict(json.dumps(EVENT)[:-1] + f', "properties": {{"n": [{literal}]}}}}')
    with pytest.raises(RecordError, match=f"`properties.n\\[0\\]` .*{message}"):
        parse_event(event, received_at=NOW)


def test_the_largest_64_bit_integers_and_ordinary_floats_are_kept() -> None:
    contact = contact_from_record(_contact(big=2**63 - 1, small=-(2**63) + 1, ratio=0.25))
    assert contact.attributes == {"big": 2**63 - 1, "small": -(2**63) + 1, "ratio": 0.25}


@pytest.mark.parametrize(
    "timestamp",
    [
        "9999-12-31T23:59:59-12:00",  # past datetime.max once in UTC: used to abort the import
        "0001-01-01T00:00:00+01:00",  # before datetime.min in UTC
        "9999-12-31T23:59:59Z",
        "1899-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
    ],
)
def test_timestamps_out_of_range_are_a_record_error(timestamp: str) -> None:
    with pytest.raises(RecordError, match=r"outside the years 1900\.\.2999"):
        parse_event({**EVENT, "timestamp": timestamp}, received_at=NOW)
    with pytest.raises(RecordError, match=r"`created_at`: .* outside the years"):
        parse_contact(_contact(created_at=timestamp))


@pytest.mark.parametrize("timestamp", [1e308, 17e8, True, ["2026-03-02T12:00:00Z"], "2026\x00"])
def test_timestamps_that_are_not_text_or_hold_controls_are_refused(timestamp: Any) -> None:
    with pytest.raises(RecordError, match="`timestamp`"):
        parse_event({**EVENT, "timestamp": timestamp}, received_at=NOW)


@pytest.mark.parametrize(
    "address",
    [
        "a@example.com\r\nBcc: victim@example.com",
        "a@example.com, b@example.com",
        "a@example.com,b@example.com",
        "Ann <a@example.com>",
        "a@localhost",
        "no-at-sign",
        "a\x00@example.com",
        "a\ud800@example.com",
        "a@" + "x" * 250 + ".com",
    ],
    ids=repr,
)
def test_email_addresses_are_validated_for_syntax(address: str) -> None:
    with pytest.raises(RecordError, match="`email`"):
        parse_contact(_contact(email=address))


def test_valid_addresses_are_kept_as_given_including_international_ones() -> None:
    for address in ("a@example.com", "Astrid.Lindgren+news@exempel.se", "åsa@exempel.se"):
        assert contact_from_record(_contact(email=address)).email == address


@pytest.mark.parametrize(
    "phone", ["0701234567", "+1", "+46 70 123\n45 67", "phone", "+4670123456789012345"], ids=repr
)
def test_phone_numbers_must_be_international(phone: str) -> None:
    with pytest.raises(RecordError, match="`phone`"):
        parse_contact(_contact(phone=phone))


def test_phone_numbers_are_stored_as_e164() -> None:
    assert contact_from_record(_contact(phone="+46 70-123 45 67")).phone == "+46701234567"
    assert contact_from_record(_contact(phone="+12125550100")).phone == "+12125550100"


def test_an_error_message_never_echoes_a_lone_surrogate() -> None:
    with pytest.raises(RecordError) as caught:
        parse_contact(_contact(timezone="Europe/\ud800"))
    str(caught.value).encode("utf-8")  # printable: the CLI writes it to stderr
    assert "\\ud800" in str(caught.value)


def test_a_deletion_with_odd_keys_is_a_record_error_not_a_crash() -> None:
    with pytest.raises(RecordError, match="not a string"):
        parse_contact({"id": "c1", "delete": True, 1: "x", "a": "y"})

from __future__ import annotations

import pytest

from journey.ingest import ContactChange, LineError, RecordError, parse_contact
from journey.ingest.payload import PayloadError, is_supported, parse_each, split_body


def test_one_object_a_batch_an_array_and_json_lines_all_work() -> None:
    one = split_body(b'{"id": "c1"}', "application/json", collection="contacts")
    batch = split_body(
        b'{"contacts": [{"id": "c1"}, {"id": "c2"}]}', "application/json", collection="contacts"
    )
    array = split_body(b'[{"id": "c1"}]', "application/json; charset=utf-8", collection="contacts")
    lines = split_body(
        b'{"id": "c1"}\n\n{"id": "c2"}\n', "application/x-ndjson", collection="contacts"
    )
    assert [i.value["id"] for i in one] == ["c1"]
    assert [i.value["id"] for i in batch] == ["c1", "c2"]
    assert [i.index for i in batch] == [0, 1]
    assert [i.value["id"] for i in array] == ["c1"]
    assert [i.line for i in lines] == [1, 3]


def test_json_lines_sent_as_application_json_are_still_read() -> None:
    items = split_body(b'{"id": "c1"}\n{"id": "c2"}', "application/json", collection="contacts")
    assert [i.line for i in items] == [1, 2]


def test_a_broken_json_line_is_refused_alone_naming_its_line() -> None:
    items = split_body(
        b'{"id": "c1"}\n{"id": \n{"id": "c3"}', "application/x-ndjson", collection="contacts"
    )
    assert [i.line for i in items] == [1, 2, 3]
    assert isinstance(items[1].value, LineError) and items[1].where() == {"line": 2}
    parsed = parse_each(items, parse_contact)
    assert [type(p) for p in parsed] == [ContactChange, RecordError, ContactChange]


def test_bad_record_is_refused_alone_and_names_its_index() -> None:
    items = split_body(
        b'{"contacts": [{"id": "c1"}, {"id": 2}]}', "application/json", collection="contacts"
    )
    good, bad = parse_each(items, parse_contact)
    assert isinstance(good, ContactChange) and good.id == "c1"
    assert str(bad) == '`id` must be a string, not the number 2 (write "2")'
    assert items[1].where() == {"index": 1}


@pytest.mark.parametrize("body", [b"", b"   ", b'{"contacts": 5}', b"\xff"])
def test_empty_and_malformed_bodies_are_errors(body: bytes) -> None:
    with pytest.raises(PayloadError):
        split_body(body, "application/json", collection="contacts")


def test_supported_media_types() -> None:
    assert is_supported("application/json; charset=utf-8")
    assert is_supported("application/x-ndjson")
    assert not is_supported("text/plain")
    assert not is_supported(None)

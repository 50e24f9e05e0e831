"""A contact row read again soon after (the runner's read, then the worker's) is decoded once:
kept with the row it came from, so every answer is what decoding that row gives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from journey.model import Contact
from journey.store import codec, contact_rows
from journey.store.url import open_store

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def row(consent: str, contact_id: str = "c1") -> tuple[object, ...]:
    attributes = '{"plan":"trial","score":0.5}'
    return (contact_id, f"{contact_id}@example.com", None, "en_GB", None, codec.ts(T0), consent,
            attributes, "{}")  # fmt: skip


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
    assert codec.contact_from_row(row('{"email":true}')) == first  # decoded again, as stored


def test_what_is_kept_is_bounded_in_contacts_and_in_size() -> None:
    for number in range(contact_rows._CONTACTS_KEPT + 10):
        codec.contact_from_row(row('{"email":true}', contact_id=f"c{number}"))
    assert len(contact_rows._CONTACTS) <= contact_rows._CONTACTS_KEPT
    big = (*row('{"email":true}', "big")[:7], '{"notes":"' + "x" * 5000 + '"}', "{}")
    assert codec.contact_from_row(big) is not codec.contact_from_row(big)
    assert codec.contact_from_row(big) == codec.contact_from_row(big)


def test_an_erased_contact_leaves_nothing_decoded_in_the_process(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        store.put_contact(codec.contact_from_row(row('{"email":true}', "c-erased")))
        assert store.get_contact("c-erased") is not None
        assert "c-erased" in contact_rows._CONTACTS
        assert store.delete_contact("c-erased")
        assert "c-erased" not in contact_rows._CONTACTS
        assert store.get_contact("c-erased") is None
    finally:
        store.close()


def test_a_scan_decodes_without_keeping_and_gives_what_decoding_gives() -> None:
    contact_rows._CONTACTS.clear()
    kept = codec.contact_from_row(row('{"email":true}', "c-kept"))
    changed = row('{"email":false}', "c-kept")  # the kept contact's row, changed since
    rows = [row('{"email":true}', "c-kept"), row('{"sms":true}', "c-new"), changed]
    scanned = codec.contacts_from_rows(rows)
    assert set(contact_rows._CONTACTS) == {"c-kept"}
    assert contact_rows._CONTACTS["c-kept"][1] is kept
    assert scanned[0] is kept
    assert not scanned[2].has_consent("email")
    assert scanned == [codec.contact_from_row(r) for r in rows]

"""Contact rows <-> Contact records, with the decoding of rows read again kept a while."""

from __future__ import annotations

from typing import Any

from journey.instants import from_ts, ts
from journey.model import Contact
from journey.store.json_text import dumps, loads
from journey.store.memo import drop_oldest

CONTACT_COLUMNS = "id, email, phone, locale, timezone, created_at, consent, attributes, topics"


def contact_row(contact: Contact) -> tuple[Any, ...]:
    return (
        contact.id,
        contact.email,
        contact.phone,
        contact.locale,
        contact.timezone,
        ts(contact.created_at),
        dumps(contact.consent),
        dumps(contact.attributes),
        dumps(contact.topics),
    )


# A contact read again soon after (the delivery worker reads the contacts the runner
# read or wrote moments before) is decoded once: kept by id with the row it was decoded
# from, and given again only for an equal row, so the answer is what decoding gives.
# Contacts are frozen and never changed in place, so one object serves equal rows. The
# oldest go first, big ones are not kept, and an erased contact's is forgotten at once.
_CONTACTS: dict[str, tuple[tuple[Any, ...], Contact]] = {}
_CONTACTS_KEPT = 2048  # two claimed batches
_KEPT_ATTRIBUTES = 4096  # characters: a contact with more is decoded at every read


def contact_from_row(row: tuple[Any, ...]) -> Contact:
    kept = _CONTACTS.get(row[0])
    if kept is not None and kept[0] == row:
        return kept[1]
    contact = _decode_contact(row)
    if len(row[7]) > _KEPT_ATTRIBUTES:
        return contact
    if kept is None and len(_CONTACTS) >= _CONTACTS_KEPT:
        drop_oldest(_CONTACTS)
    _CONTACTS[row[0]] = (tuple(row), contact)
    return contact


def contacts_from_rows(rows: list[Any]) -> list[Contact]:
    """A scan's rows decoded, none kept: a scan of every contact (a journey's
    activation) would push out every kept one in turn, each read once."""
    kept = _CONTACTS
    contacts = []
    for row in rows:
        found = kept.get(row[0])
        contacts.append(found[1] if found is not None and found[0] == row else _decode_contact(row))
    return contacts


def forget_contact(contact_id: str) -> None:
    """The contact was erased: nothing decoded from its rows is kept."""
    _CONTACTS.pop(contact_id, None)


def _decode_contact(row: tuple[Any, ...]) -> Contact:
    return Contact(
        id=row[0],
        email=row[1],
        phone=row[2],
        locale=row[3],
        timezone=row[4],
        created_at=from_ts(row[5]),
        consent=_choices(row[6]),
        attributes=loads(row[7]),
        topics=_choices(row[8]),
    )


# Consent and topics texts repeat from contact to contact (a few opt-in patterns): each
# distinct text is decoded once and every contact gets its own copy of the result.
_CHOICES: dict[str, tuple[dict[str, Any], bool]] = {}  # text -> (value, flat)
_CHOICES_KEPT = 4096


def _choices(text: str) -> Any:
    """A contact's consent ({kind: bool}) or topics ({topic: {kind: bool}}), decoded."""
    kept = _CHOICES.get(text)
    if kept is None:
        value = loads(text)
        shape = _choices_shape(value)
        if len(_CHOICES) >= _CHOICES_KEPT or shape is None:
            return value
        _CHOICES[text] = kept = (value, shape)
    value, flat = kept
    if flat:  # booleans only (consent, or no topics): a shallow copy is a whole copy
        return value.copy()
    return {k: dict(v) if type(v) is dict else v for k, v in value.items()}


def _choices_shape(value: Any) -> bool | None:
    """True for a dict of booleans, False for a dict of dicts of booleans (both copied
    whole by `_choices`), None for anything else (not kept)."""
    if type(value) is not dict:
        return None
    flat = True
    for inner in value.values():
        if type(inner) is dict:
            flat = False
            if any(type(v) is not bool for v in inner.values()):
                return None
        elif type(inner) is not bool:
            return None
    return flat

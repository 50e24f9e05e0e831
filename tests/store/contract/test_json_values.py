"""Whatever JSON a contact, an event, an entry or a delivery carries comes back as it was given,
on every backend: text in any script, floats, integers up to and beyond 64 bits, deep nesting."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from journey.records import Entry
from journey.store.abc import StateStore
from tests.store.contract.records import T0, contact, delivery, enrollment, event

VALUES: dict[str, Any] = {
    "name": 'Zoë "Zee" Øberg \\ 张伟 😀',
    "controls": "tab\tnew line\n\x01\x7f",
    "separators": "\u2028\u2029",
    "floats": [0.1, 1e16, 1e-07, -0.0, 1.5e300, 5e-324, 12345.678],
    "ints": [0, -1, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1],
    "beyond_64_bits": [2**64, 2**70, -(2**63) - 1, -(2**80)],
    "nested": {"list": [{"a": [1, {"b": None}]}, True, False], "empty": {}},
    "deep": json.loads("[" * 300 + "1" + "]" * 300),  # deeper than orjson writes
}


def _typed(value: Any) -> str:
    """The value with its types showing (1 and 1.0 differ), for comparing round trips."""
    return json.dumps(value, sort_keys=True)


def test_contact_attributes_come_back_with_the_same_values_and_types(store: StateStore) -> None:
    store.put_contact(contact("c1", attributes=VALUES))
    found = store.get_contact("c1")
    assert found is not None
    assert _typed(found.attributes) == _typed(VALUES)
    assert found.attributes["beyond_64_bits"][1] == 2**70  # exact, not a rounded float
    assert type(found.attributes["beyond_64_bits"][1]) is int


def test_event_entry_and_delivery_values_come_back_as_given(store: StateStore) -> None:
    store.add_event(replace(event("e1"), properties=VALUES))
    found_event = store.last_event("c1", "opened", T0)
    assert found_event is not None
    assert _typed(found_event.properties) == _typed(VALUES)

    entry = Entry(name="signed_up", timestamp=T0, properties=VALUES)
    store.insert_enrollment(replace(enrollment(), entry=entry, events={"order": entry}))
    found_enrollment = store.get_enrollment("j1:c1:1")
    assert found_enrollment is not None
    assert _typed(found_enrollment.entry.properties) == _typed(VALUES)
    assert _typed(found_enrollment.events["order"].properties) == _typed(VALUES)

    store.add_delivery(replace(delivery("d1"), payload={"subject": VALUES["name"], **VALUES}))
    found_delivery = store.get_delivery("d1")
    assert found_delivery is not None
    assert found_delivery.payload["subject"] == VALUES["name"]
    assert _typed(found_delivery.payload["floats"]) == _typed(VALUES["floats"])

"""A contact as templates see it: a read-only view of reserved keys plus attributes.

Reserved keys and declared attributes that a contact lacks read as none; any
other unknown name is an error (StrictUndefined), so `contact.frist_name` fails
loudly instead of rendering blank.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from journey.model import Contact


class ContactView:
    """Attribute or item access, no methods, so any attribute name is usable."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("contact is read-only in templates")

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"contact {self._values.get('id')!r}"

    __str__ = __repr__


def contact_view(contact: Contact, declared_attributes: Iterable[str] = ()) -> ContactView:
    return ContactView(contact.as_values(declared_attributes))

"""An event's properties as expressions, templates and webhook bodies read them.

A property the workspace declares for an event (`events: {NAME: {PROP: type}}`)
that one event lacks reads as *absent*: false in a condition, `is defined` false,
`default(...)` applies, printed as nothing, and none as an expression's value
(an `update` then removes the attribute). A survey answered without a comment
is still an answer, and `{% if events.survey.properties.reason %}` guards the
quote. A property nobody declared stays an error, so a misspelt name fails
loudly (validate reports it before merge). The stored event is not changed:
`'reason' in properties` is false and the properties serialise as they came.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Undefined
from jinja2.exceptions import UndefinedError
from jinja2.utils import missing

DeclaredProperties = Mapping[str, frozenset[str]]  # event name -> its declared property names


class AbsentPropertyError(UndefinedError):
    """Using an absent property as a value (`event.properties.total > 0`): the sandbox and
    a compiled closure raise it alike, from the same operation on the same property."""


class AbsentProperty(Undefined):
    """A declared property the event does not carry (Jinja's lenient undefined)."""

    __slots__ = ()

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = missing,
        name: str | None = None,
        exc: type[UndefinedError] = AbsentPropertyError,
    ) -> None:
        super().__init__(hint, obj, name, exc)


class EventProperties(dict[str, Any]):
    """A dict whose declared-but-absent keys read as `AbsentProperty` (`__missing__`)."""

    __slots__ = ("declared",)

    def __init__(self, values: Mapping[str, Any], declared: frozenset[str]) -> None:
        super().__init__(values)
        self.declared = declared

    def __missing__(self, key: str) -> Any:
        if key in self.declared:
            return AbsentProperty(name=key)
        raise KeyError(key)

    def __reduce__(self) -> Any:
        return (EventProperties, (dict(self), self.declared))


def readable_properties(
    event_name: str, properties: dict[str, Any], declared: DeclaredProperties
) -> dict[str, Any]:
    """`properties` as read by journeys: unchanged when nothing declared is missing."""
    names = declared.get(event_name)
    if not names or names <= properties.keys():
        return properties
    return EventProperties(properties, names)


def readable_event(
    event: dict[str, Any] | None, declared: DeclaredProperties
) -> dict[str, Any] | None:
    """An event's context (`name`, `timestamp`, `properties`, …) with its
    declared-but-absent properties reading as none; the same dict when none is."""
    if event is None or not declared:
        return event
    properties = event["properties"]
    readable = readable_properties(event["name"], properties, declared)
    return event if readable is properties else {**event, "properties": readable}


def declared_properties(
    events: Mapping[str, Mapping[str, str]] | None,
) -> dict[str, frozenset[str]]:
    """workspace.yaml's `events:` declarations as event name -> property names."""
    return {str(name): frozenset(types) for name, types in (events or {}).items() if types}

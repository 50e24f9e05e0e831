"""What every semantic pass shares: the document, the workspace, and a safe way to read data.

The schema pass has already reported wrong shapes, so these helpers read data
defensively: a value of the wrong type reads as absent instead of raising, and
each pass checks only what it can make sense of.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from journey.errors import Diagnostic, Severity
from journey.loader import Document, JsonPath
from journey.model import STEP_KINDS
from journey.workspace import Workspace


@dataclass(slots=True)
class Checker:
    """One journey document under check, and the diagnostics found so far."""

    doc: Document
    workspace: Workspace | None = None
    found: list[Diagnostic] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        return self.doc.data if isinstance(self.doc.data, dict) else {}

    def add(
        self,
        code: str,
        message: str,
        path: JsonPath,
        *,
        hint: str | None = None,
        severity: Severity = "error",
        at_value: bool = False,
    ) -> None:
        """Record a problem at ``path``: the line of its key, as the schema pass does.

        Where a value has no key (a list item) its own position is used.
        """
        location = self.doc.location(path, value=at_value)
        self.found.append(
            Diagnostic(code=code, message=message, location=location, severity=severity, hint=hint)
        )


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class StepView:
    """A step as the semantic passes see it: where it is and what it does."""

    index: int
    path: JsonPath
    raw: dict[str, Any]
    id: str | None
    action: str | None

    @property
    def body(self) -> Any:
        return self.raw.get(self.action) if self.action else None

    @property
    def body_path(self) -> JsonPath:
        return (*self.path, self.action or "")


def steps(data: dict[str, Any]) -> list[StepView]:
    """Every step that is a mapping, with its id (if a string) and its first action key."""
    views = []
    for index, raw in enumerate(sequence(data.get("steps"))):
        if not isinstance(raw, dict):
            continue
        action = next((k for k in raw if k in STEP_KINDS), None)
        views.append(StepView(index, ("steps", index), raw, text(raw.get("id")), action))
    return views


def walk(value: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    """Every (path, value) pair under ``value``, depth first, the root included."""
    stack: list[tuple[JsonPath, Any]] = [(path, value)]
    while stack:
        here, item = stack.pop()
        yield here, item
        if isinstance(item, dict):
            stack.extend(((*here, k), v) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend(((*here, i), v) for i, v in reversed(list(enumerate(item))))

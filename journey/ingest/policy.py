"""`intake:` in workspace.yaml: what the door does with a record off the declarations.

Kept apart from journey.ingest.door so that reading workspace.yaml needs
nothing of the validator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Choice = Literal["refuse", "keep"]


@dataclass(frozen=True, slots=True, kw_only=True)
class IntakePolicy:
    """`intake:` in workspace.yaml: what happens to a record off the declarations."""

    undeclared_events: Choice = "refuse"
    wrong_types: Choice = "refuse"


def build_intake_policy(value: object) -> IntakePolicy:
    """`intake:` as workspace.yaml gives it; a wrong value falls back (the schema reports it)."""
    if not isinstance(value, dict):
        return IntakePolicy()
    chosen: dict[str, Choice] = {}
    for key in ("undeclared_events", "wrong_types"):
        if value.get(key) in ("refuse", "keep"):
            chosen[key] = value[key]
    return IntakePolicy(**chosen)

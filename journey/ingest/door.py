"""Whether an incoming event or contact fits what workspace.yaml declares.

`journey ingest`, `journey contacts import` and the daemon's HTTP API hold
every parsed record against the declarations (`events:` and
`contact_attributes:`) before storing it: an event name that is not declared,
or a property or attribute whose value is not of its declared type, would pass
the door and break later, at send time, for that contact alone. Such a record
is refused on its own (a line error, a 4xx item), unless `intake:` in
workspace.yaml keeps it; either way it is counted (`Door.counts`, the
`journey_intake_off_declaration_total` metric).

Outcome events (`journey.*`) are the engine's own and always pass. Without
an `events:` declaration any event name passes; without
`contact_attributes:` any attribute does.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from journey.event_types import fits_type, type_of
from journey.ingest.policy import Choice, IntakePolicy
from journey.ingest.records import ContactChange, RecordError
from journey.model import Event
from journey.validator.suggest import did_you_mean, sentence

if TYPE_CHECKING:
    from journey.workspace import Workspace

OUTCOME_PREFIX = "journey."
# What a record off the declarations is: one label of the metric each
UNDECLARED_EVENT = "undeclared_event"
WRONG_TYPE = "wrong_type"
PROBLEMS = (UNDECLARED_EVENT, WRONG_TYPE)
KINDS = ("event", "contact")
ACTIONS = ("refused", "kept")


class IntakeTally:
    """Thread-safe counts by (kind, problem, action); one per process, kept across reloads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, str]] = Counter()

    def add(self, kind: str, problem: str, action: str) -> None:
        with self._lock:
            self._counts[(kind, problem, action)] += 1

    def snapshot(self) -> dict[tuple[str, str, str], int]:
        """Every (kind, problem, action) at its count, 0 included: series exist from the start."""
        with self._lock:
            found = dict(self._counts)
        return {
            key: found.get(key, 0)
            for key in [
                (kind, problem, action)
                for kind in KINDS
                for problem in PROBLEMS
                for action in ACTIONS
                if not (kind == "contact" and problem == UNDECLARED_EVENT)
            ]
        }

    def kept(self) -> int:
        with self._lock:
            return sum(n for (_, _, action), n in self._counts.items() if action == "kept")


@dataclass(slots=True)
class Door:
    """Holds records against the declarations; counts what is off them in `tally`."""

    events: dict[str, dict[str, str]] | None = None
    contact_attributes: dict[str, str] | None = None
    policy: IntakePolicy = field(default_factory=IntakePolicy)
    tally: IntakeTally = field(default_factory=IntakeTally)

    def event(self, event: Event) -> Event:
        """The event, when it fits (or the policy keeps it); else RecordError."""
        if event.name.startswith(OUTCOME_PREFIX) or self.events is None:
            return event
        declared = self.events.get(event.name)
        if declared is None:
            hint = sentence(did_you_mean(event.name, self.events)) or (
                "Declare it under `events:` in workspace.yaml."
            )
            self._off(
                "event",
                UNDECLARED_EVENT,
                self.policy.undeclared_events,
                f"event `{event.name}` is not declared in workspace.yaml. {hint}",
            )
            return event
        for name, value in event.properties.items():
            kind = declared.get(name)
            if kind is not None and not fits_type(value, kind):
                self._off(
                    "event",
                    WRONG_TYPE,
                    self.policy.wrong_types,
                    f"`properties.{name}` of `{event.name}` is declared {kind}"
                    f" but is {type_of(value)}",
                )
                break
        return event

    def contact(self, change: ContactChange) -> ContactChange:
        """The change, when its declared attributes have their types; else RecordError."""
        if self.contact_attributes is None or change.delete:
            return change
        for name, value in change.attributes.items():
            kind = self.contact_attributes.get(name)
            if kind is not None and not fits_type(value, kind):
                self._off(
                    "contact",
                    WRONG_TYPE,
                    self.policy.wrong_types,
                    f"`{name}` is declared {kind} in contact_attributes but is {type_of(value)}",
                )
                break
        return change

    def _off(self, kind: str, problem: str, choice: Choice, message: str) -> None:
        action = "kept" if choice == "keep" else "refused"
        self.tally.add(kind, problem, action)
        if choice == "refuse":
            raise RecordError(message)


def door_for(workspace: Workspace, tally: IntakeTally | None = None) -> Door:
    """The door of a workspace: its declarations and `intake:` policy."""
    return Door(
        events=workspace.events,
        contact_attributes=workspace.contact_attributes,
        policy=workspace.intake,
        tally=tally if tally is not None else IntakeTally(),
    )

"""The engine: a pure state machine over enrollments, and the one shell that performs it.

The core (actions, context, events, interest, sends, state, steps, triggers):
`advance`, `on_event` and `on_contact_change` take time and data as arguments
and return a Transition, with no I/O. `journey.engine.shell.Shell` (inbox,
runner, delivery worker) applies transitions to a store and hands sends to
channels, the same for `journey run`, the demo, `test`, `simulate` and the
forecast; see docs/architecture.md.
"""

from journey.engine.actions import Transition
from journey.engine.buckets import split_bucket
from journey.engine.context import EngineSettings
from journey.engine.events import on_contact_change, on_event
from journey.engine.steps import advance

__all__ = [
    "EngineSettings",
    "Transition",
    "advance",
    "on_contact_change",
    "on_event",
    "split_bucket",
]

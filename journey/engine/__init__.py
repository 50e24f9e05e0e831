"""The engine: a pure state machine over enrollments, plus the runner that performs it.

`advance`, `on_event` and `on_contact_change` take time and data as arguments
and return a Transition; `journey.engine.runner.Runner` is the imperative shell
shared by `simulate`, `test` and the daemon.
"""

from journey.engine.actions import Transition
from journey.engine.context import EngineSettings
from journey.engine.events import on_contact_change, on_event
from journey.engine.steps import advance, split_bucket

__all__ = [
    "EngineSettings",
    "Transition",
    "advance",
    "on_contact_change",
    "on_event",
    "split_bucket",
]

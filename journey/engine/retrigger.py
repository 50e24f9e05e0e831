"""`retrigger:` — what a trigger that fires while the contact is enrolled does, pure.

`ignore` drops it (the default, and the only behaviour before the setting);
`restart` exits the current pass with `restarted` so that the shell enrolls the
contact again from the first step; `refresh` keeps the pass, replaces its entry
and times a pending `wait` or `wait_for` again from now.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from journey.engine.actions import Transition
from journey.engine.state import Enrollment, Entry
from journey.engine.steps import exit_transition
from journey.localtime import add_duration
from journey.model import Plan, Retrigger, WaitForStep, WaitStep

RESTARTED = "restarted"


def retrigger(
    policy: Retrigger,
    plan: Plan,
    enrollment: Enrollment,
    entry: Entry,
    now: datetime,
    zone: ZoneInfo,
) -> Transition:
    """The active `enrollment` (on its own `plan` version) when the trigger fires again."""
    if policy == "restart":
        return exit_transition(enrollment, RESTARTED, now)
    if policy != "refresh":
        return Transition(enrollment=enrollment)
    refreshed = replace(enrollment, entry=entry)
    try:
        step = plan.step(enrollment.step_id)
    except KeyError:
        return Transition(enrollment=refreshed)
    if enrollment.phase == "wait" and isinstance(step, (WaitStep, WaitForStep)):
        length = step.duration if isinstance(step, WaitStep) else step.timeout
        refreshed = replace(refreshed, step_entered_at=now, due_at=add_duration(now, length, zone))
    return Transition(enrollment=refreshed)

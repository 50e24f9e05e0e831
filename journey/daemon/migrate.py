"""What a reload does to contacts in flight (spec: plan versions and `on_change`).

By default an enrollment stays on the plan version it entered with. A journey
whose new version says `on_change: migrate` moves its enrollments to the step
with the same id in the new version, or exits them with `step_removed`. A
journey gone from disk exits its enrollments with `journey_removed`; the runner
exits those of an `archived` journey.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from journey.engine.state import Enrollment
from journey.engine.steps import exited
from journey.model import END, Plan
from journey.store.abc import StateStore

BATCH = 1000

ExitHook = Callable[[Enrollment, str], None]


def exit_journey(
    store: StateStore, journey_id: str, reason: str, now: datetime, on_exit: ExitHook
) -> int:
    """Exit every active enrollment of the journey (removed from disk, say)."""
    done = 0
    while batch := store.active_enrollments_in(journey_id, BATCH):
        with store.transaction():
            for enrollment in batch:
                store.save_enrollment(exited(enrollment, reason, now))
        for enrollment in batch:
            on_exit(enrollment, reason)
        done += len(batch)
    return done


def migrate_journey(
    store: StateStore, plan: Plan, now: datetime, on_exit: ExitHook
) -> tuple[int, int]:
    """`on_change: migrate`: (moved, exited with step_removed) for enrollments on older plans."""
    moved = removed = 0
    step_ids = {step.id for step in plan.steps} | {END}
    # Exited enrollments leave the active set; migrated ones keep it, so read once.
    active = store.active_enrollments_in(plan.journey_id, 1 << 31)
    with store.transaction():
        for enrollment in active:
            if enrollment.plan_hash == plan.plan_hash:
                continue
            if enrollment.step_id in step_ids:
                store.set_enrollment_plan(_moved(store, enrollment, plan, now))
                moved += 1
            else:
                store.save_enrollment(exited(enrollment, "step_removed", now))
                removed += 1
                on_exit(enrollment, "step_removed")
    return moved, removed


def _moved(store: StateStore, enrollment: Enrollment, plan: Plan, now: datetime) -> Enrollment:
    """Same step id, new version; a step whose kind changed starts afresh (due now)."""
    moved = replace(enrollment, plan_hash=plan.plan_hash)
    if enrollment.step_id == END:
        return moved
    old_plan = store.get_plan(enrollment.plan_hash)
    new_step = plan.step(enrollment.step_id)
    if old_plan is not None:
        try:
            old_step = old_plan.step(enrollment.step_id)
        except KeyError:
            old_step = None
        if type(old_step) is not type(new_step):
            return replace(moved, phase="enter", step_entered_at=now, due_at=now)
    return moved

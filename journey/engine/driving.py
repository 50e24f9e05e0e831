"""Running one enrollment: enter it (reentry, audience), then advance it while steps are due.

Split from the runner so that each module keeps one idea: this one is "the
steps of one enrollment, now"; the runner is "which enrollment runs when";
`performing` is "the side effects of a step".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from journey.engine.actions import Exit, Transition
from journey.engine.context import History, contact_zone
from journey.engine.performing import PerformingMixin
from journey.engine.retrigger import retrigger
from journey.engine.state import Enrollment, Entry
from journey.engine.steps import advance, exited, fail
from journey.engine.triggers import audience_holds, new_enrollment, reentry_allows
from journey.model import Contact, Event, Plan


class DrivingMixin(PerformingMixin):
    """Enrolling and driving; the Runner provides the attributes below."""

    plans: dict[str, Plan]
    transitions: int

    def history(self, contact_id: str) -> History:
        raise NotImplementedError

    def contact_changed(self, contact: Contact, now: datetime, *, is_new: bool = False) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------- enrolling
    def try_enroll(
        self,
        plan: Plan,
        contact: Contact,
        entry: Entry,
        now: datetime,
        *,
        event: Event | None = None,
    ) -> Enrollment | None:
        """Reentry, audience, one active enrollment; then run the first steps at once."""
        if plan.status != "active":
            return None
        holdout = self.settings.holdout
        if plan.category == "marketing" and holdout is not None and holdout.holds_out(contact.id):
            return None  # the workspace's holdout group: no marketing journey reaches it
        zone = contact_zone(contact, plan, self.settings)
        latest = self.store.latest_enrollment(plan.journey_id, contact.id)
        retriggered = latest is not None and latest.is_active and plan.retrigger != "ignore"
        if not retriggered and not reentry_allows(plan, latest, now, zone):
            return None
        history = self.history(contact.id)
        if not audience_holds(plan, contact, history, now, self.settings, entry=entry, event=event):
            return None
        if retriggered:
            assert latest is not None
            if not self._retrigger(plan, latest, contact, entry, now):
                return None
        number = 1
        if latest is not None:
            number = self.store.count_enrollments(plan.journey_id, contact.id) + 1
        enrollment = new_enrollment(plan, contact.id, number, entry, now)
        if not self.store.insert_enrollment(enrollment):
            return None
        self._emit("enter", enrollment, now, step_id=plan.first_step, reason=entry.name)
        self.drive(plan, enrollment, contact, now)
        return enrollment

    def _retrigger(
        self, plan: Plan, latest: Enrollment, contact: Contact, entry: Entry, now: datetime
    ) -> bool:
        """Apply `retrigger:` to the active enrollment; True when a new one should start."""
        in_flight = self.plan_for(latest) or plan
        zone = contact_zone(contact, in_flight, self.settings)
        transition = retrigger(plan.retrigger, in_flight, latest, entry, now, zone)
        if transition.enrollment == latest:
            return False
        self._save(transition.enrollment, in_flight, transition.actions, now)
        return not transition.enrollment.is_active

    # ---------------------------------------------------------------- driving
    def drive(
        self, plan: Plan, enrollment: Enrollment, contact: Contact, now: datetime
    ) -> tuple[Enrollment, Contact]:
        """Advance while due and active; writes the final state once."""
        current = self.plans.get(plan.journey_id)
        if current is None:
            self._save(exited(enrollment, "journey_removed", now), plan, (), now)
            return enrollment, contact
        if current.status == "archived":
            self._save(exited(enrollment, "archived", now), plan, (Exit(reason="archived"),), now)
            return enrollment, contact
        history = self.history(contact.id)
        steps = 0
        changed_contact = False
        checked: Contact | None = None  # exit_when already evaluated for this contact
        while (
            current.status == "active"
            and enrollment.is_active
            and enrollment.due_at is not None
            and enrollment.due_at <= now
        ):
            steps += 1
            if steps > self.settings.max_steps_per_run:
                transition = fail(enrollment, enrollment.step_id, "too many steps at once", now)
            else:
                transition = advance(
                    plan,
                    enrollment,
                    contact,
                    history,
                    now,
                    self.settings,
                    check_exit_when=checked is not contact,
                )
                checked = contact
            transition = self._perform(plan, enrollment, transition, contact, now)
            self.transitions += 1
            enrollment = transition.enrollment
            if transition.contact is not None:
                contact = transition.contact
                self.store.put_contact(contact)
                changed_contact = True
        self.store.save_enrollment(enrollment)
        if changed_contact:
            self.contact_changed(contact, now)
        return enrollment, contact

    def _apply_and_drive(
        self, plan: Plan, transition: Transition, contact: Contact, now: datetime
    ) -> Contact:
        if not transition.changed:
            return contact
        self._save(transition.enrollment, plan, transition.actions, now, write=False)
        _, contact = self.drive(plan, transition.enrollment, contact, now)
        return contact

    def _save(
        self,
        enrollment: Enrollment,
        plan: Plan,
        actions: tuple[Any, ...],
        now: datetime,
        *,
        write: bool = True,
    ) -> None:
        self._record(plan, enrollment, actions, now)
        if write:
            self.store.save_enrollment(enrollment)

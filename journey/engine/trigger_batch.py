"""A batch of contacts a trigger looks at together: per-contact fires, a segment's pass.

Their event counts are read for all of them at once (`CountsAhead`), each audience is
evaluated with those counts before `try_enroll` is asked (a contact it rules out would
be refused there, with nothing done before that check), and the new trigger states of
contacts that do not enter are written together: before the next contact that does
enter (whose steps may read trigger states) and at the end, so the store sees the
writes in the same order as one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from journey.engine.history_ahead import CountsAhead
from journey.engine.state import Entry, TriggerState
from journey.engine.triggers import audience_holds
from journey.model import Contact, Plan

if TYPE_CHECKING:
    from journey.engine.runner import Runner


class TriggerBatch:
    def __init__(self, runner: Runner, contact_ids: Sequence[str]) -> None:
        self.runner = runner
        self.counts = CountsAhead(runner.store, contact_ids)
        self.pending: list[TriggerState] = []

    def may_enter(self, plan: Plan, contact: Contact, entry: Entry, now: datetime) -> bool:
        """False only when `try_enroll` would refuse the contact for its audience."""
        runner = self.runner
        history = self.counts.history(contact.id, runner.history(contact.id))
        return audience_holds(plan, contact, history, now, runner.settings, entry=entry)

    def write(self, state: TriggerState, *, enters: bool) -> None:
        """Write `state` now when its contact is about to enter, else with the next write."""
        self.pending.append(state)
        if enters:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.runner.store.put_trigger_states(self.pending)
            self.pending = []

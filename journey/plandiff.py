"""What changed between two compiled versions of a journey, and what that means in flight.

Pure: two Plans in, a :class:`PlanDiff` out. Steps are matched by id (the same
rule `on_change: migrate` uses); fields are compared on the plan's JSON form so
the report names exactly the keys a reviewer sees in `journey compile`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from journey.compiler import format_duration, plan_to_dict
from journey.compiler.serialize import trigger_hash
from journey.model import Duration, Plan

# Describe the journey to people; not part of the plan hash.
DESCRIPTIVE = ("name", "description", "owner")
# Decide who enters; a change affects new entrants only.
ENTRY_RULES = ("trigger", "audience", "reentry", "max_trigger_age")
_NOT_COMPARED = frozenset({"journey_id", "steps", "plan_hash", "source", *DESCRIPTIVE})
# Step kinds that hold a timer while a contact waits in them.
_TIMED = frozenset({"wait", "wait_until", "wait_for"})


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldChange:
    field: str  # dotted path in the plan's JSON, e.g. `goal.within`, `arms[1].weight`
    old: Any
    new: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class StepChange:
    step_id: str
    change: Literal["added", "removed", "changed"]
    kind: str  # the new kind (the old one for a removed step)
    old_kind: str = ""
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanDiff:
    journey_id: str
    old_journey_id: str
    old_hash: str
    new_hash: str
    on_change: str  # the new version's, which decides what happens in flight
    old_on_change: str
    rules: tuple[FieldChange, ...]
    descriptive: tuple[FieldChange, ...]
    steps: tuple[StepChange, ...]
    old_first_step: str
    new_first_step: str
    old_step_count: int
    new_step_count: int
    # The trigger kind when the new version's trigger is armed again for the contacts
    # already stored (the same kind defined otherwise: journey.engine.activation), else "".
    rearmed: str = ""

    @property
    def behaviour_changed(self) -> bool:
        return self.old_hash != self.new_hash

    @property
    def identical(self) -> bool:
        return not (self.behaviour_changed or self.rules or self.descriptive or self.steps)

    def steps_by(self, change: str) -> list[StepChange]:
        return [s for s in self.steps if s.change == change]


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    old_data, new_data = plan_to_dict(old), plan_to_dict(new)
    rules = _compare(
        {k: v for k, v in old_data.items() if k not in _NOT_COMPARED},
        {k: v for k, v in new_data.items() if k not in _NOT_COMPARED},
    )
    descriptive = _compare(
        {k: old_data.get(k) for k in DESCRIPTIVE}, {k: new_data.get(k) for k in DESCRIPTIVE}
    )
    return PlanDiff(
        journey_id=new.journey_id,
        old_journey_id=old.journey_id,
        old_hash=old.plan_hash,
        new_hash=new.plan_hash,
        on_change=new.on_change,
        old_on_change=old.on_change,
        rules=tuple(rules),
        descriptive=tuple(descriptive),
        steps=tuple(_step_changes(old_data["steps"], new_data["steps"])),
        old_first_step=old.first_step,
        new_first_step=new.first_step,
        old_step_count=len(old.steps),
        new_step_count=len(new.steps),
        rearmed=_rearmed(old, new),
    )


# Triggers with a state per stored contact, which a new definition arms again.
_REARMED = {
    "segment": (
        "the segment is evaluated again for every contact already stored when this version "
        "is deployed: who matches only the new condition enters with `include_existing: true` "
        "(else is counted a member, and enters only after leaving and matching again); "
        "a member under both does not enter twice"
    ),
    "date": (
        "each stored contact's next fire is computed again from the new definition, after "
        "the last one fired (`reentry` decides about the same date at a new offset)"
    ),
    "inactivity": (
        "each stored contact's inactivity counts again from their last event; "
        "one it already reached waits for their next"
    ),
    "schedule": "the next fire is the new definition's (the journey's, or each contact's)",
}


def _rearmed(old: Plan, new: Plan) -> str:
    kind = new.trigger.kind
    if kind not in _REARMED or old.trigger.kind != kind:
        return ""
    return kind if trigger_hash(old) != trigger_hash(new) else ""


def _step_changes(
    old_steps: list[dict[str, Any]], new_steps: list[dict[str, Any]]
) -> list[StepChange]:
    old_by_id = {s["id"]: s for s in old_steps}
    new_by_id = {s["id"]: s for s in new_steps}
    changes: list[StepChange] = []
    for step in new_steps:  # in the new order, removed ones after
        before = old_by_id.get(step["id"])
        if before is None:
            changes.append(StepChange(step_id=step["id"], change="added", kind=step["kind"]))
            continue
        fields = _compare(_without_id(before), _without_id(step))
        if fields:
            changes.append(
                StepChange(
                    step_id=step["id"],
                    change="changed",
                    kind=step["kind"],
                    old_kind=before["kind"],
                    fields=tuple(fields),
                )
            )
    for step in old_steps:
        if step["id"] not in new_by_id:
            changes.append(StepChange(step_id=step["id"], change="removed", kind=step["kind"]))
    return changes


def _without_id(step: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in step.items() if k != "id"}


def _compare(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    """Leaf-level differences; durations and lists of plain values count as one leaf."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict) and not _is_duration(old):
        changes: list[FieldChange] = []
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path else str(key)
            changes += _compare(old.get(key), new.get(key), sub)
        return changes
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and len(old) == len(new)
        and all(isinstance(item, dict) for item in old + new)
    ):
        changes = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            changes += _compare(a, b, f"{path}[{index}]")
        return changes
    return [FieldChange(field=path, old=old, new=new)]


def _is_duration(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"calendar_days", "seconds"}


def show_value(value: Any) -> str:
    """A value as a reviewer reads it: durations in DSL spelling, lists compact."""
    if value is None:
        return "none"
    if _is_duration(value):
        return format_duration(
            Duration(calendar_days=value["calendar_days"], seconds=value["seconds"])
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{k}: {show_value(v)}" for k, v in value.items() if v is not None)
            + "}"
        )
    text = " ".join(str(value).split())
    return text if len(text) <= 80 else text[:77] + "..."


# ------------------------------------------------------------------ consequences


def in_flight_consequences(diff: PlanDiff) -> list[str]:
    """What happens to contacts already in the journey when NEW replaces OLD (Markdown-ish)."""
    if diff.journey_id != diff.old_journey_id:
        return [
            f"The journey id changed from `{diff.old_journey_id}` to `{diff.journey_id}`: "
            f"contacts in `{diff.old_journey_id}` exit with `journey_removed`; "
            f"`{diff.journey_id}` starts empty."
        ]
    notes = _status_notes(diff)
    if not diff.behaviour_changed:
        if not notes:
            notes.append(
                "No change in behaviour (same plan hash): contacts in flight are unaffected."
            )
        return notes
    if diff.on_change == "keep":
        notes.append(
            f"`on_change: keep`: contacts in flight stay on the old version "
            f"(`{diff.old_hash[:12]}`) until they leave; new entrants get `{diff.new_hash[:12]}`."
        )
        return notes
    notes.append(
        f"`on_change: migrate`: contacts in flight move to the new version "
        f"(`{diff.new_hash[:12]}`) at the step with the same id."
    )
    for step in diff.steps_by("removed"):
        notes.append(f"Contacts at `{step.step_id}` exit with `step_removed`.")
    for step in diff.steps_by("changed"):
        notes.append(_changed_step_note(step))
    if any(_top(change.field) in ("exit_when", "goal") for change in diff.rules):
        notes.append("The new `exit_when` and `goal` apply to contacts in flight from now on.")
    return notes


def _changed_step_note(step: StepChange) -> str:
    if step.kind != step.old_kind:
        return (
            f"Contacts at `{step.step_id}` start the new `{step.kind}` step at once "
            f"(it was a `{step.old_kind}` step)."
        )
    names = ", ".join(f"`{f.field}`" for f in step.fields)
    note = f"Contacts at `{step.step_id}` continue with the new definition ({names})"
    if step.kind in _TIMED and any(f.field != "next" for f in step.fields):
        note += "; a wait already running keeps its due time"
    return note + "."


def _status_notes(diff: PlanDiff) -> list[str]:
    notes = []
    for change in diff.rules:
        if change.field == "status" and change.new == "paused":
            notes.append(
                "`status: paused`: no step runs and triggers are dropped, for every version."
            )
        elif change.field == "status" and change.new == "archived":
            notes.append("`status: archived`: every contact in flight exits with `archived`.")
        elif change.field == "status" and change.old == "paused":
            notes.append("Resumed: steps that fell due while paused run at once.")
    return notes


def entry_notes(diff: PlanDiff) -> list[str]:
    """Changes that only matter to contacts who enter from now on."""
    rearming = [c for c in diff.rules if _top(c.field) in ("trigger", "timezone")]
    notes = [
        f"`{change.field}` applies to new entrants only."
        for change in diff.rules
        if _top(change.field) in ENTRY_RULES and not (diff.rearmed and change in rearming)
    ]
    if diff.rearmed:
        fields = ", ".join(f"`{change.field}`" for change in rearming)
        notes.append(f"{fields}: {_REARMED[diff.rearmed]}.")
    if diff.old_first_step != diff.new_first_step:
        notes.append(
            f"New entrants start at `{diff.new_first_step}` (was `{diff.old_first_step}`)."
        )
    return notes


def _top(field: str) -> str:
    return field.split(".", 1)[0].split("[", 1)[0]

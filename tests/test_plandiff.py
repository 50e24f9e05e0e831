"""journey.plandiff: two plans in, what changed and what it means for contacts in flight."""

from __future__ import annotations

from dataclasses import replace

from journey.compiler.serialize import with_hash
from journey.model import (
    END,
    DateTrigger,
    Duration,
    EventTrigger,
    Goal,
    Plan,
    SegmentTrigger,
    SendStep,
    WaitForStep,
    WaitStep,
)
from journey.plandiff import diff_plans, entry_notes, in_flight_consequences, show_value


def plan(**changes: object) -> Plan:
    base = Plan(
        journey_id="welcome",
        name="Welcome",
        kind="onboarding",
        trigger=EventTrigger(event="signed_up"),
        goal=Goal(event="subscribed", within=Duration(calendar_days=14)),
        steps=(
            SendStep(id="hello", next="pause", channel="email", template="a/hello"),
            WaitStep(id="pause", next="reminder", duration=Duration(calendar_days=2)),
            SendStep(id="reminder", next=END, channel="email", template="a/reminder"),
        ),
    )
    return with_hash(replace(base, **changes))  # type: ignore[arg-type]


def test_a_rename_is_not_a_behaviour_change() -> None:
    diff = diff_plans(plan(), plan(name="Welcome series", owner="growth"))
    assert not diff.behaviour_changed
    assert [c.field for c in diff.descriptive] == ["name", "owner"]
    assert diff.rules == () and diff.steps == ()
    assert in_flight_consequences(diff) == [
        "No change in behaviour (same plan hash): contacts in flight are unaffected."
    ]


def test_identical_plans() -> None:
    assert diff_plans(plan(), plan()).identical


def test_changed_fields_are_named_with_their_path() -> None:
    old = plan()
    new = plan(
        goal=Goal(event="subscribed", within=Duration(calendar_days=21)),
        steps=(
            SendStep(id="hello", next="pause", channel="email", template="a/hello2"),
            *old.steps[1:],
        ),
    )
    diff = diff_plans(old, new)
    assert diff.behaviour_changed
    assert [(c.field, show_value(c.old), show_value(c.new)) for c in diff.rules] == [
        ("goal.within", "2w", "3w")
    ]
    (step,) = diff.steps
    assert (step.step_id, step.change) == ("hello", "changed")
    assert [(f.field, f.old, f.new) for f in step.fields] == [("template", "a/hello", "a/hello2")]


def test_keep_leaves_contacts_on_the_old_version() -> None:
    old = plan()
    other = SendStep(id="reminder", next=END, channel="email", template="a/other")
    new = plan(steps=(*old.steps[:2], other))
    notes = in_flight_consequences(diff_plans(old, new))
    assert len(notes) == 1
    assert notes[0].startswith("`on_change: keep`: contacts in flight stay on the old version")
    assert old.plan_hash[:12] in notes[0]


def test_migrate_exits_removed_steps_and_continues_changed_ones() -> None:
    old = plan(on_change="migrate")
    new = plan(
        on_change="migrate",
        steps=(
            old.steps[0],
            WaitStep(id="pause", next="check", duration=Duration(calendar_days=3)),
            WaitForStep(
                id="check",
                next=END,
                event="project_created",
                timeout=Duration(calendar_days=3),
                on_timeout=END,
            ),
        ),
    )
    diff = diff_plans(old, new)
    assert [(s.step_id, s.change) for s in diff.steps] == [
        ("pause", "changed"),
        ("check", "added"),
        ("reminder", "removed"),
    ]
    notes = in_flight_consequences(diff)
    assert "Contacts at `reminder` exit with `step_removed`." in notes
    assert (
        "Contacts at `pause` continue with the new definition (`next`, `duration`); "
        "a wait already running keeps its due time." in notes
    )


def test_a_step_of_another_kind_starts_afresh_under_migrate() -> None:
    old = plan(on_change="migrate")
    new = plan(
        on_change="migrate",
        steps=(
            old.steps[0],
            SendStep(id="pause", next="reminder", channel="email", template="a/x"),
            old.steps[2],
        ),
    )
    (step,) = diff_plans(old, new).steps
    assert (step.old_kind, step.kind) == ("wait", "send")
    assert (
        "Contacts at `pause` start the new `send` step at once (it was a `wait` step)."
        in in_flight_consequences(diff_plans(old, new))
    )


def test_entry_rules_concern_new_entrants_only() -> None:
    old = plan()
    new = plan(trigger=EventTrigger(event="registered"), audience="contact.country == 'SE'")
    diff = diff_plans(old, new)
    assert entry_notes(diff) == [
        "`trigger.event` applies to new entrants only.",
        "`audience` applies to new entrants only.",
    ]


def test_archiving_is_reported_although_the_hash_stays() -> None:
    diff = diff_plans(plan(), plan(status="archived"))
    assert not diff.behaviour_changed
    assert in_flight_consequences(diff) == [
        "`status: archived`: every contact in flight exits with `archived`."
    ]


def test_a_new_journey_id_is_a_different_journey() -> None:
    notes = in_flight_consequences(diff_plans(plan(), plan(journey_id="welcome-v2")))
    assert "exit with `journey_removed`" in notes[0]


def test_a_segment_defined_otherwise_says_the_stored_contacts_are_evaluated_again() -> None:
    old = plan(trigger=SegmentTrigger(condition="contact.plan == 'trial'"))
    new = plan(trigger=SegmentTrigger(condition="contact.plan in ['trial', 'pro']"))
    diff = diff_plans(old, new)
    assert diff.rearmed == "segment"
    (note,) = entry_notes(diff)
    assert note.startswith("`trigger.condition`: the segment is evaluated again for every")
    assert "a member under both does not enter twice" in note


def test_a_date_triggers_zone_moved_by_the_journeys_timezone_is_armed_again() -> None:
    birthday = DateTrigger(attribute="birthday", offset=Duration(calendar_days=-7))
    old = plan(trigger=birthday, timezone="Europe/Stockholm")
    new = plan(trigger=birthday, timezone="Asia/Shanghai")
    diff = diff_plans(old, new)
    assert diff.rearmed == "date"
    assert entry_notes(diff) == [
        "`timezone`: each stored contact's next fire is computed again from the new "
        "definition, after the last one fired (`reentry` decides about the same date at a "
        "new offset)."
    ]


def test_a_trigger_of_another_kind_or_an_event_trigger_concerns_new_entrants_only() -> None:
    segment = plan(trigger=SegmentTrigger(condition="contact.plan == 'trial'"))
    assert diff_plans(plan(), segment).rearmed == ""
    assert diff_plans(plan(), plan(audience="true")).rearmed == ""

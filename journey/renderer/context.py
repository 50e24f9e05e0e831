"""The render context for a message seen outside a run (preview, review site).

The engine builds the real one from the enrollment; previews make up an entry
so that what a marketer sees matches what a contact would get. The entry is the
event given (`journey preview --event`), else the example payload the workspace
declares for the trigger's event (`events: {NAME: {example: …}}`), at the
preview's instant. `events.NAME`, what a `wait_for ... as: NAME` kept or the
latest event `latest_events` names, is made up the same way: the event given
(`--event NAME=…`), else its declared example.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from journey.event_properties import declared_properties, readable_event
from journey.model import Event, Plan, SendVariant, WaitForStep, variant_context
from journey.workspace import Workspace


def trigger_event_name(plan: Plan) -> str:
    """The event that enrolls a contact, or the trigger's kind (`segment`, `date`, …)."""
    return str(getattr(plan.trigger, "event", None) or plan.trigger.kind)


def preview_entry(
    plan: Plan, workspace: Workspace, at: datetime, event: Event | None = None
) -> dict[str, Any]:
    """`entry` as templates see it: the event's name, timestamp and properties."""
    if event is not None:
        return as_read(workspace, event.name, event.timestamp, event.properties)
    name = trigger_event_name(plan)
    return as_read(workspace, name, at, dict(workspace.event_examples.get(name, {})))


def as_read(
    workspace: Workspace, name: str, at: datetime, properties: dict[str, Any]
) -> dict[str, Any]:
    """An event as templates read it: a property the workspace declares for it that
    `properties` lacks reads as none (journey.event_properties)."""
    made = {"name": name, "timestamp": at, "properties": properties}
    return readable_event(made, declared_properties(workspace.events)) or made


def kept_event_names(plan: Plan) -> dict[str, str]:
    """`events.NAME` -> its event: the `as:` of a `wait_for` (the first wait of a name
    wins), then the plan's `latest_events`."""
    kept: dict[str, str] = {}
    for step in plan.steps:
        if isinstance(step, WaitForStep) and step.as_name:
            kept.setdefault(step.as_name, step.event)
    for latest in plan.latest_events:
        kept.setdefault(latest.name, latest.event)
    return kept


def preview_events(
    kept: Mapping[str, str],
    workspace: Workspace,
    at: datetime,
    given: Mapping[str, Event | None] | None = None,
) -> dict[str, dict[str, Any] | None]:
    """`events` as templates see it: each kept name, from `given` or the event's example;
    a name given as None reads as none (a contact without that latest event)."""
    found: dict[str, dict[str, Any] | None] = {}
    for name, event_name in kept.items():
        event = (given or {}).get(name)
        if given is not None and name in given and event is None:
            found[name] = None
        elif event is not None:
            found[name] = as_read(workspace, event.name, event.timestamp, event.properties)
        else:
            example = dict(workspace.event_examples.get(event_name, {}))
            found[name] = as_read(workspace, event_name, at, example)
    return found


def preview_context(
    plan: Plan,
    at: datetime,
    workspace: Workspace,
    event: Event | None = None,
    kept: Mapping[str, Event | None] | None = None,
) -> dict[str, Any]:
    """What the engine passes to templates, with the entry of `preview_entry` and the
    kept events of `preview_events`."""
    return render_context(
        workspace,
        {"id": plan.journey_id, "name": plan.name, "kind": plan.kind},
        preview_entry(plan, workspace, at, event),
        f"preview.{plan.journey_id}.{plan.first_step}",
        events=preview_events(kept_event_names(plan), workspace, at, kept),
    )


def render_context(
    workspace: Workspace,
    journey: dict[str, Any],
    entry: dict[str, Any],
    message_id: str,
    variant: SendVariant | None = None,
    *,
    events: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The template context besides `contact`, `now` and `locale` (the renderer adds those)."""
    base = (workspace.unsubscribe_base_url or "http://127.0.0.1:8080").rstrip("/")
    return {
        "entry": entry,
        "events": events or {},
        "journey": journey,
        "unsubscribe_url": f"{base}/v1/unsubscribe/preview",
        "message_id": message_id,
        "variant": variant_context(variant),
    }

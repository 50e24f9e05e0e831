"""The render context for a message seen outside a run (preview, review site).

The engine builds the real one from the enrollment; previews make up an entry
so that what a marketer sees matches what a contact would get. The entry is the
event given (`journey preview --event`), else the example payload the workspace
declares for the trigger's event (`events: {NAME: {example: …}}`), at the
preview's instant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from journey.model import Event, Plan, SendVariant, variant_context
from journey.workspace import Workspace


def trigger_event_name(plan: Plan) -> str:
    """The event that enrolls a contact, or the trigger's kind (`segment`, `date`, …)."""
    return str(getattr(plan.trigger, "event", None) or plan.trigger.kind)


def preview_entry(
    plan: Plan, workspace: Workspace, at: datetime, event: Event | None = None
) -> dict[str, Any]:
    """`entry` as templates see it: the event's name, timestamp and properties."""
    if event is not None:
        return {"name": event.name, "timestamp": event.timestamp, "properties": event.properties}
    name = trigger_event_name(plan)
    example = workspace.event_examples.get(name, {})
    return {"name": name, "timestamp": at, "properties": dict(example)}


def preview_context(
    plan: Plan, at: datetime, workspace: Workspace, event: Event | None = None
) -> dict[str, Any]:
    """What the engine passes to templates, with the entry of `preview_entry`."""
    return render_context(
        workspace,
        {"id": plan.journey_id, "name": plan.name, "kind": plan.kind},
        preview_entry(plan, workspace, at, event),
        f"preview.{plan.journey_id}.{plan.first_step}",
    )


def render_context(
    workspace: Workspace,
    journey: dict[str, Any],
    entry: dict[str, Any],
    message_id: str,
    variant: SendVariant | None = None,
) -> dict[str, Any]:
    """The template context besides `contact`, `now` and `locale` (the renderer adds those)."""
    base = (workspace.unsubscribe_base_url or "http://127.0.0.1:8080").rstrip("/")
    return {
        "entry": entry,
        "journey": journey,
        "unsubscribe_url": f"{base}/v1/unsubscribe/preview",
        "message_id": message_id,
        "variant": variant_context(variant),
    }

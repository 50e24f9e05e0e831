"""The render context for a message seen outside a run (preview, review site).

The engine builds the real one from the enrollment; previews make up an entry at
a chosen instant so that what a marketer sees matches what a contact would get.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from journey.model import Plan
from journey.workspace import Workspace


def preview_context(plan: Plan, at: datetime, workspace: Workspace) -> dict[str, Any]:
    """What the engine passes to templates, with an entry made up at `at`."""
    trigger_name = getattr(plan.trigger, "event", None) or plan.trigger.kind
    base = (workspace.unsubscribe_base_url or "http://127.0.0.1:8080").rstrip("/")
    return {
        "entry": {"name": trigger_name, "timestamp": at, "properties": {}},
        "journey": {"id": plan.journey_id, "name": plan.name, "kind": plan.kind},
        "unsubscribe_url": f"{base}/v1/unsubscribe/preview",
        "message_id": f"preview.{plan.journey_id}.{plan.first_step}",
    }

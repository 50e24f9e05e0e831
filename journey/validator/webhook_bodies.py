"""The strings of a webhook's `body` are templates: checked before merge as send templates are.

A body string is rendered when the webhook is called, with `contact`, `entry`,
`events`, `journey` and `now` (journey.engine.perform.webhook_request). What would
fail then is reported now, at the string's value in the journey file: a syntax
error, an unknown filter or test, a name the body is not given (`locale`,
`unsubscribe_url`: those are for messages), a contact attribute the workspace
does not declare, an entry property the entry event does not declare.
(`events.NAME` in bodies is journey.validator.templates_kept's.)
"""

from __future__ import annotations

from journey.errors import Diagnostic
from journey.loader import Document
from journey.renderer.introspect import WEBHOOK_BODY_NAMES, facts_of_string
from journey.validator.semantic_context import mapping, steps, walk
from journey.validator.templates_check import TemplateChecker, check_facts, entry_event_of
from journey.workspace import Workspace

_NAMES_HINT = "a webhook body's strings receive contact, entry, events, journey and now"


def check_webhook_bodies(doc: Document, workspace: Workspace) -> list[Diagnostic]:
    data = doc.data if isinstance(doc.data, dict) else {}
    entry_event = entry_event_of(data)
    entry_types = (workspace.events or {}).get(entry_event) if entry_event else None
    declared = workspace.contact_attributes
    found: list[Diagnostic] = []
    seen: set[tuple[str, str, int, str]] = set()
    for view in steps(data):
        if view.action != "webhook":
            continue
        body_path = (*view.body_path, "body")
        for path, value in walk(mapping(view.body).get("body"), body_path):
            if not isinstance(value, str) or ("{{" not in value and "{%" not in value):
                continue
            checker = TemplateChecker(
                workspace.templates_dir,
                workspace.locales_dir,
                None if declared is None else frozenset(declared),
                found,
                seen,
                entry_event,
                entry_types,
                where=doc.location(path, value=True),
                given_to="a webhook body",
                names_hint=_NAMES_HINT,
            )
            label = f"webhook body of step `{view.id}`"
            facts = facts_of_string(workspace.templates_dir, value, label, WEBHOOK_BODY_NAMES)
            check_facts(checker, facts, None)
    return found

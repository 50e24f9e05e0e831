"""Every send step rendered in every locale its journey lists, before merge.

A template can compile, read only known names and still fail for a real
contact: a filter given text where it wants a number, a translation whose
placeholder is misspelt, a loop over a property that is not a list. This pass
renders each send the way the engine would, for a sample contact in each
locale, with the entry event's declared example payload (`events: {NAME:
{example: …}}`), and reports a failure at the template line that raised it.
Without an example the entry has no properties, so a failure that may come
from that is a warning asking for one. Where the workspace declares no contact
attributes, the sample contact cannot have the ones a template reads, so a
failure for a missing attribute is not reported.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from journey.errors import Diagnostic, Location, RenderError
from journey.loader import Document
from journey.model import SendVariant
from journey.renderer.context import as_read, preview_events, render_context
from journey.renderer.render import MessageKind
from journey.samples import sample_contacts
from journey.validator.kept_events import kept_events
from journey.workspace import Workspace

SEND_RENDER = "send-render"
# a fixed instant: the check gives the same answer on every run
RENDERED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
_UNKNOWN_ATTRIBUTE = "'contact' has no attribute"
_WHERE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+): (?P<reason>.*)$", re.S)


class RenderCheck:
    """The render check of one validation run: one renderer (each template compiled
    once), and each render's outcome remembered, since many journeys send the same
    template in the same locales after the same event. `journey.*` in a template
    is not part of that key: a template that fails for one journey id but not
    another is not told apart."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        from journey.assembly import workspace_renderer  # the one way to build it

        self.renderer = workspace_renderer(workspace)
        self.contact = sample_contacts(workspace.contact_attributes, RENDERED_AT)[0].contact
        self._outcomes: dict[tuple[Any, ...], str | None] = {}

    def check(self, doc: Document) -> list[Diagnostic]:
        """The `send-render` problems of one journey document."""
        workspace = self.workspace
        data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
        sends = _sends(doc, data, workspace)
        if not sends:
            return []
        locales = tuple(str(x) for x in data.get("locales") or [workspace.default_locale])
        entry_name = _entry_event(data) or ""
        example = workspace.event_examples.get(entry_name)
        without_example = example is None and bool((workspace.events or {}).get(entry_name))
        journey = {"id": data.get("id"), "name": data.get("name"), "kind": data.get("kind")}
        kept = _kept_events(data)
        zone = str(data.get("timezone") or workspace.default_timezone)
        failures: dict[tuple[str, str], list[str]] = {}  # (step, error) -> locales
        for template, message, step_id, _location, variant in sends:
            for locale in dict.fromkeys(locales):
                key = (template, message, locale, locales, entry_name, zone, kept, variant)
                if key not in self._outcomes:
                    self._outcomes[key] = self._render(
                        template,
                        message,
                        locale,
                        locales,
                        (entry_name, kept),
                        journey,
                        zone,
                        variant,
                    )
                error = self._outcomes[key]
                if error is not None:
                    failures.setdefault((step_id, error), []).append(locale)
        where = {step_id: location for _t, _m, step_id, location, _v in sends}
        return [
            _diagnostic(error, step_id, locales_failed, where[step_id], without_example)
            for (step_id, error), locales_failed in failures.items()
        ]

    def _render(
        self,
        template: str,
        message: MessageKind,
        locale: str,
        locales: tuple[str, ...],
        events: tuple[str, tuple[tuple[str, str], ...]],
        journey: dict[str, Any],
        zone: str,
        variant: SendVariant | None = None,
    ) -> str | None:
        entry_name, kept = events
        example = dict(self.workspace.event_examples.get(entry_name) or {})
        entry = as_read(self.workspace, entry_name, RENDERED_AT, example)
        kept_events = preview_events(dict(kept), self.workspace, RENDERED_AT)
        try:
            self.renderer.render(
                template=template,
                message=message,
                contact=self.contact,
                locales=locales,
                context=render_context(
                    self.workspace,
                    journey,
                    entry,
                    f"render-check.{journey['id']}",
                    variant,
                    events=kept_events,
                ),
                now=RENDERED_AT,
                locale=locale,
                timezone=zone,
            )
        except RenderError as exc:
            text = str(exc)
            if self.workspace.contact_attributes is None and _UNKNOWN_ATTRIBUTE in text:
                return None  # undeclared attributes: the sample cannot know the contact's
            return text
        return None


def check_document_renders(doc: Document, workspace: Workspace) -> list[Diagnostic]:
    """The render check of one journey on its own (a validation run shares a RenderCheck)."""
    return RenderCheck(workspace).check(doc)


def _diagnostic(
    text: str, step_id: str, locales: list[str], fallback: Location, without_example: bool
) -> Diagnostic:
    match = _WHERE.match(text)
    location = fallback
    reason = text
    if match is not None:
        location = Location(path=match["path"], line=int(match["line"]), col=1)
        reason = match["reason"]
    hint = (
        "This render had no entry properties: declare an `example:` for the trigger's event"
        " in workspace.yaml so the check renders what a real event brings."
        if without_example
        else "Rendered for a sample contact with the trigger event's declared example."
    )
    return Diagnostic(
        code=SEND_RENDER,
        message=f"step `{step_id}` fails to render in {', '.join(locales)}: {reason}",
        location=location,
        severity="warning" if without_example else "error",
        hint=hint,
    )


def _sends(
    doc: Document, data: dict[str, Any], workspace: Workspace
) -> list[tuple[str, MessageKind, str, Location, SendVariant | None]]:
    """Every (template, message kind, step, where, variant) a send may render:
    each channel of an ordered list, each variant."""
    found: list[tuple[str, MessageKind, str, Location, SendVariant | None]] = []
    for index, step in enumerate(data.get("steps") or []):
        send = step.get("send") if isinstance(step, dict) else None
        if not isinstance(send, dict) or not isinstance(send.get("template"), str):
            continue
        location = doc.location(("steps", index, "send", "template"))
        variants = send_variants(send)
        for name in dict.fromkeys(listed_channels(send)):
            channel = workspace.channels.get(name)
            message = channel.message if channel and channel.message != "webhook" else "email"
            for variant in variants:
                found.append((send["template"], message, str(step.get("id")), location, variant))
    return found


def listed_channels(send: dict[str, Any]) -> list[str]:
    channel = send.get("channel")
    return [str(c) for c in channel] if isinstance(channel, list) else [str(channel)]


def send_variants(send: dict[str, Any]) -> list[SendVariant | None]:
    """The send's variants as the engine builds them, else [None] (no variant)."""
    given = send.get("variants")
    if not isinstance(given, dict) or not given:
        return [None]
    return [
        SendVariant(
            name=str(name),
            weight=0,
            subject=item.get("subject") if isinstance(item.get("subject"), str) else None,
            vars=dict(item["vars"]) if isinstance(item.get("vars"), dict) else {},
        )
        for name, item in given.items()
        if isinstance(item, dict)
    ] or [None]


def _entry_event(data: dict[str, Any]) -> str | None:
    trigger = data.get("trigger")
    if isinstance(trigger, str):
        return trigger
    name = trigger.get("event") if isinstance(trigger, dict) else None
    return name if isinstance(name, str) else None


def _kept_events(data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """(name, event) of each `events.NAME`: `as:` on a wait_for, or `latest_events:`."""
    return tuple((name, held.event or "") for name, held in kept_events(data).kept.items())

"""`journey preview`: render one send step exactly as it would go out."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from journey.api import preview_message
from journey.cli.common import compile_file, echo_stdout, instant_option
from journey.engine.sends import address_for
from journey.errors import RenderError, UsageError
from journey.event_types import property_problems
from journey.ingest.records import RecordError, contact_from_record, parse_event
from journey.model import Contact, Event, Plan, SendStep
from journey.renderer import RenderedMessage
from journey.renderer.context import kept_event_names, trigger_event_name
from journey.workspace import Workspace


def parse_at(text: str | None) -> datetime:
    """`--at`: an RFC 3339 instant with `Z` or an offset; default the current time."""
    return datetime.now(UTC) if text is None else instant_option(text, "--at")


def load_json_option(option: str, value: str) -> Any:
    """A JSON object given inline, or the name of a file holding one."""
    text = value
    if not value.lstrip().startswith("{"):
        path = Path(value)
        if not path.is_file():
            raise UsageError(f"{option} {value!r} is neither a JSON object nor a file")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {option} file {value}: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{option} is not valid JSON: {exc.msg} (line {exc.lineno})") from exc


def load_contact(value: str) -> Contact:
    """`--contact`: a JSON object, or a file holding one (the import format)."""
    data = load_json_option("--contact", value)
    try:
        return contact_from_record(data)
    except RecordError as exc:
        raise UsageError(f"--contact: {exc}") from exc


def load_entry_event(
    value: str, plan: Plan, workspace: Workspace, contact: Contact, at: datetime
) -> Event:
    """`--event`: the event that enrolled the contact (the ingest format).

    `name` defaults to the trigger's event and `contact_id` to the contact; a
    missing `timestamp` means "received at --at", as ingest does. Properties
    are checked against the workspace's declaration of the event.
    """
    data = load_json_option("--event", value)
    trigger = trigger_event_name(plan)
    if not getattr(plan.trigger, "event", None):
        raise UsageError(
            f"journey {plan.journey_id} has a {trigger} trigger; --event is for event triggers"
        )
    if isinstance(data, dict):
        data = {"name": trigger, "contact_id": contact.id, **data}
    try:
        event = parse_event(data, received_at=at)
    except RecordError as exc:
        raise UsageError(f"--event: {exc}") from exc
    if event.name != trigger:
        raise UsageError(
            f"--event is `{event.name}`, but journey {plan.journey_id} is entered by `{trigger}`"
        )
    _check_declared("--event", event, workspace)
    return event


KEPT_EVENT_OPTION = re.compile(r"^(?P<name>[a-z][a-z0-9_]{0,62})=(?P<value>.*)$", re.S)


def split_event_options(values: tuple[str, ...]) -> tuple[str | None, dict[str, str]]:
    """`--event JSON` (the entry) and `--event NAME=JSON` (`events.NAME`: what `wait_for ...
    as: NAME` kept, or a latest event)."""
    entry: str | None = None
    kept: dict[str, str] = {}
    for value in values:
        match = KEPT_EVENT_OPTION.match(value)
        if match is None:
            if entry is not None:
                raise UsageError("--event without NAME= is the entry event: give it once")
            entry = value
        else:
            kept[match["name"]] = match["value"]
    return entry, kept


def load_kept_events(
    values: dict[str, str], plan: Plan, workspace: Workspace, contact: Contact, at: datetime
) -> dict[str, Event | None]:
    """`--event NAME=…` for each `events.NAME` (a wait_for's `as: NAME`, or a name in
    `latest_events`): its event, checked like the entry; `NAME=none` for a latest
    event previews a contact who has none."""
    kept = kept_event_names(plan)
    latest = {item.name for item in plan.latest_events}
    events: dict[str, Event | None] = {}
    for name, value in values.items():
        if name not in kept:
            known = ", ".join(sorted(kept)) or "none (no wait_for has `as:`, no latest_events)"
            raise UsageError(f"--event {name}=…: journey {plan.journey_id} keeps {known}")
        option = f"--event {name}="
        if value.strip() == "none":
            if name not in latest:
                raise UsageError(
                    f"{option}none: `{name}` is what a wait_for kept, never none;"
                    " only a latest event can be none"
                )
            events[name] = None
            continue
        data = load_json_option(option, value)
        if isinstance(data, dict):
            data = {"name": kept[name], "contact_id": contact.id, **data}
        try:
            event = parse_event(data, received_at=at)
        except RecordError as exc:
            raise UsageError(f"{option}: {exc}") from exc
        if event.name != kept[name]:
            raise UsageError(f"{option} is `{event.name}`, but `{name}` keeps `{kept[name]}`")
        _check_declared(option, event, workspace)
        events[name] = event
    return events


def _check_declared(option: str, event: Event, workspace: Workspace) -> None:
    declared = (workspace.events or {}).get(event.name)
    problems = property_problems(event.properties, declared) if declared is not None else []
    if problems:
        raise UsageError(
            f"{option} does not fit the declaration of `{event.name}` in workspace.yaml: "
            + "; ".join(problem for _, problem in problems)
        )


def send_step(plan: Plan, step_id: str) -> SendStep:
    try:
        step = plan.step(step_id)
    except KeyError:
        sends = ", ".join(s.id for s in plan.steps if isinstance(s, SendStep)) or "none"
        raise UsageError(
            f"journey {plan.journey_id} has no step {step_id!r} (sends: {sends})"
        ) from None
    if not isinstance(step, SendStep):
        raise UsageError(f"step {step_id!r} is a {step.kind} step; preview renders send steps")
    return step


def entry_source(plan: Plan, workspace: Workspace, event: Event | None) -> str:
    """Where the preview's `entry` came from, for the header."""
    name = trigger_event_name(plan)
    if event is not None:
        return f"{name} at {event.timestamp.isoformat()} (from --event)"
    if name in workspace.event_examples:
        return f"{name}, the example in workspace.yaml"
    return f"{name}, no properties (pass --event, or declare an example)"


def describe(
    step: SendStep, contact: Contact, rendered: RenderedMessage, zone: str, entry: str
) -> str:
    address = address_for(contact, step.message) or "(no address: the send would be suppressed)"
    lines = [
        f"Channel:   {step.channel} ({step.message}), template {step.template}",
        f"To:        {address}",
        f"Locale:    {rendered.locale} (formatting {rendered.format_locale}, time zone {zone})",
        f"Entry:     {entry}",
    ]
    if rendered.subject is not None:
        lines.append(f"Subject:   {rendered.subject}")
    if rendered.preheader is not None:
        lines.append(f"Preheader: {rendered.preheader}")
    if rendered.title is not None:
        lines.append(f"Title:     {rendered.title}")
    return "\n".join(lines) + "\n\n" + rendered.text


@click.command("preview")
@click.argument("file", type=click.Path(path_type=str))
@click.option("--step", "step_id", required=True, help="The id of a send step.")
@click.option("--contact", "contact_arg", required=True, help="A contact as JSON, or a file.")
@click.option(
    "--event",
    "event_args",
    multiple=True,
    help="The entry event as JSON, or a file (default: the declared example);"
    " NAME=JSON_OR_FILE gives `events.NAME`: what a `wait_for` with `as: NAME` kept,"
    " or the latest event `latest_events` names.",
)
@click.option("--locale", default=None, help="Render for this locale instead of the contact's.")
@click.option("--at", "at_text", default=None, help="Render time, ISO with offset (default: now).")
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def command(
    ctx: click.Context,
    file: str,
    step_id: str,
    contact_arg: str,
    event_args: tuple[str, ...],
    locale: str | None,
    at_text: str | None,
    html_out: Path | None,
) -> None:
    """Render step ID of journey FILE for a contact, exactly as it would be sent.

    --event gives the event that enrolled the contact (`entry.*` in templates;
    its timestamp is `entry.timestamp`). Without it, the example payload that
    workspace.yaml declares for the trigger's event is used. --event NAME=…
    (repeatable) gives the event that the `wait_for` with `as: NAME` matched,
    or the contact's latest event that `latest_events: {NAME: …}` reads
    (`events.NAME.*`; `NAME=none` for a contact who has none); without it, that
    event's declared example.
    --html OUT writes the HTML part of an email to OUT.
    """
    at = parse_at(at_text)
    contact = load_contact(contact_arg)
    plan, workspace = compile_file(ctx, file)
    step = send_step(plan, step_id)
    event_arg, kept_args = split_event_options(event_args)
    event = load_entry_event(event_arg, plan, workspace, contact, at) if event_arg else None
    kept = load_kept_events(kept_args, plan, workspace, contact, at)
    try:
        rendered = preview_message(
            workspace, plan, step, contact, at=at, locale=locale, event=event, kept=kept
        )
    except RenderError as exc:
        click.echo(f"journey: render failed: {exc}", err=True)
        ctx.exit(1)
    zone = contact.timezone or plan.timezone or workspace.default_timezone
    echo_stdout(describe(step, contact, rendered, zone, entry_source(plan, workspace, event)))
    if html_out is not None:
        if rendered.html is None:
            raise UsageError(f"step {step_id!r} sends {step.message}, which has no HTML part")
        try:
            html_out.write_text(rendered.html, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {html_out}: {exc.strerror}") from exc
        click.echo(f"wrote {html_out}", err=True)

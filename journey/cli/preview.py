"""`journey preview`: render one send step exactly as it would go out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from journey.api import preview_message
from journey.cli.common import compile_file, echo_stdout, instant_option
from journey.engine.sends import address_for
from journey.errors import RenderError, UsageError
from journey.ingest.records import RecordError, contact_from_record
from journey.model import Contact, Plan, SendStep
from journey.renderer import RenderedMessage


def parse_at(text: str | None) -> datetime:
    """`--at`: an RFC 3339 instant with `Z` or an offset; default the current time."""
    return datetime.now(UTC) if text is None else instant_option(text, "--at")


def load_contact(value: str) -> Contact:
    """`--contact`: a JSON object, or a file holding one (the import format)."""
    text = value
    if not value.lstrip().startswith("{"):
        path = Path(value)
        if not path.is_file():
            raise UsageError(f"--contact {value!r} is neither a JSON object nor a file")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read contact file {value}: {exc}") from exc
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--contact is not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    try:
        return contact_from_record(data)
    except RecordError as exc:
        raise UsageError(f"--contact: {exc}") from exc


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


def describe(step: SendStep, contact: Contact, rendered: RenderedMessage, zone: str) -> str:
    address = address_for(contact, step.message) or "(no address: the send would be suppressed)"
    lines = [
        f"Channel:   {step.channel} ({step.message}), template {step.template}",
        f"To:        {address}",
        f"Locale:    {rendered.locale} (formatting {rendered.format_locale}, time zone {zone})",
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
@click.option("--locale", default=None, help="Render for this locale instead of the contact's.")
@click.option("--at", "at_text", default=None, help="Render time, ISO with offset (default: now).")
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def command(
    ctx: click.Context,
    file: str,
    step_id: str,
    contact_arg: str,
    locale: str | None,
    at_text: str | None,
    html_out: Path | None,
) -> None:
    """Render step ID of journey FILE for a contact, exactly as it would be sent.

    --html OUT writes the HTML part of an email to OUT.
    """
    at = parse_at(at_text)
    contact = load_contact(contact_arg)
    plan, workspace = compile_file(ctx, file)
    step = send_step(plan, step_id)
    try:
        rendered = preview_message(workspace, plan, step, contact, at=at, locale=locale)
    except RenderError as exc:
        click.echo(f"journey: render failed: {exc}", err=True)
        ctx.exit(1)
    zone = contact.timezone or plan.timezone or workspace.default_timezone
    echo_stdout(describe(step, contact, rendered, zone))
    if html_out is not None:
        if rendered.html is None:
            raise UsageError(f"step {step_id!r} sends {step.message}, which has no HTML part")
        try:
            html_out.write_text(rendered.html, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {html_out}: {exc.strerror}") from exc
        click.echo(f"wrote {html_out}", err=True)

"""The Python API: the workspace, validation, plans, previews, simulations and status in a notebook.

The same functions the CLI commands call, without click: problems in the user's
files come back as :class:`~journey.errors.Diagnostic` lists (or a
:class:`~journey.errors.InvalidInput` carrying them in `.diagnostics`), failures of the
environment as :class:`~journey.errors.JourneyError`. See docs/python-api.md.

    >>> from journey import api
    >>> project = api.open_workspace(".")
    >>> plan = project.compile("journeys/examples/onboarding.yaml")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journey.assembly import workspace_renderer, workspace_settings
from journey.compiler import compile_journey
from journey.durations import parse_duration
from journey.engine.simulation import RENDER_SAMPLE, SimulationReport, simulate
from journey.errors import Diagnostic, InvalidInput, UsageError
from journey.ingest import parse_contact, parse_event
from journey.ingest.records import contact_from_record
from journey.model import Contact, Event, Plan, SendStep
from journey.renderer import RenderedMessage
from journey.renderer.context import preview_context
from journey.results.workspace_report import parse_since, workspace_report
from journey.status_report import plans_and_database, status_rows
from journey.validator import check_workspace, discover_journey_files, validate_files
from journey.workspace import Workspace, find_workspace_root

__all__ = [
    "Project",
    "RenderedMessage",
    "SimulationReport",
    "open_workspace",
    "preview_message",
    "workspace_renderer",
]


def open_workspace(path: str | Path = ".") -> Project:
    """The workspace that holds `path` (the first folder upwards with a workspace.yaml)."""
    start = Path(path)
    root = find_workspace_root(None, near=start if start.exists() else None)
    if not root.is_dir():
        raise UsageError(f"workspace folder {root} does not exist")
    workspace, problems, _ = check_workspace(root)
    return Project(workspace=workspace, problems=tuple(problems))


def preview_message(
    workspace: Workspace,
    plan: Plan,
    step: SendStep,
    contact: Contact,
    *,
    at: datetime,
    locale: str | None = None,
    event: Event | None = None,
    kept: Mapping[str, Event | None] | None = None,
) -> RenderedMessage:
    """What `journey preview` shows: the step rendered as it would be sent at `at`.

    `event` is the one that enrolled the contact; without it, the example payload
    the workspace declares for the trigger's event. `kept` are the events that
    `wait_for ... as: NAME` steps matched and latest events, by NAME (else their
    examples; None: a contact without that latest event).
    """
    return workspace_renderer(workspace).render(
        template=step.template,
        message=step.message,
        contact=contact,
        locales=plan.locales,
        context=preview_context(plan, at, workspace, event, kept),
        now=at,
        locale=locale,
        timezone=plan.timezone,
    )


@dataclass(frozen=True, slots=True)
class Project:
    """An opened workspace; `problems` are those of its workspace.yaml."""

    workspace: Workspace
    problems: tuple[Diagnostic, ...] = ()

    @property
    def root(self) -> Path:
        return self.workspace.root

    def validate(self, *paths: str | Path) -> list[Diagnostic]:
        """What `journey validate` reports (default: every journey in the workspace)."""
        files = [Path(p) for p in paths] or [self.workspace.journeys_dir]
        result = validate_files(discover_journey_files(files), self.workspace)
        return sorted([*self.problems, *result.diagnostics], key=Diagnostic.sort_key)

    def compile(self, path: str | Path) -> Plan:
        """The plan of one journey file; raises InvalidInput with its errors."""
        result = validate_files([Path(path)], self.workspace)
        errors = [d for d in (*self.problems, *result.diagnostics) if d.is_error]
        if errors:
            raise InvalidInput(f"{path}: {len(errors)} error(s); see .diagnostics", errors)
        return compile_journey(result.documents[0], self.workspace)

    def plans(self) -> dict[str, Plan]:
        """Every valid journey of the workspace by id, as `journey run` would load them."""
        return plans_and_database(self.root)[0]

    def preview(
        self,
        plan: Plan,
        step: str,
        contact: Mapping[str, Any] | Contact,
        *,
        at: datetime | None = None,
        locale: str | None = None,
        event: Mapping[str, Any] | Event | None = None,
    ) -> RenderedMessage:
        """Step `step` of `plan` rendered for `contact` (a record as imported, or a Contact).

        `event` is the entry event (a record as ingested, or an Event); without it,
        the example the workspace declares for the trigger's event.
        """
        send = plan.step(step)
        if not isinstance(send, SendStep):
            raise UsageError(f"step {step!r} is a {send.kind} step; preview renders send steps")
        when = _aware(at) if at is not None else datetime.now(UTC)
        person = contact if isinstance(contact, Contact) else contact_from_record(dict(contact))
        entry = event
        if entry is not None and not isinstance(entry, Event):
            trigger = str(getattr(plan.trigger, "event", None) or plan.trigger.kind)
            record = {"name": trigger, "contact_id": person.id, **dict(entry)}
            entry = parse_event(record, received_at=when)
        return preview_message(
            self.workspace, plan, send, person, at=when, locale=locale, event=entry
        )

    def simulate(
        self,
        plan: Plan,
        contacts: Iterable[Mapping[str, Any]],
        events: Iterable[Mapping[str, Any] | Event] = (),
        *,
        start: datetime,
        duration: str = "30d",
        render_all: bool = False,
    ) -> SimulationReport:
        """`journey simulate`: the journey over these contacts on a virtual clock."""
        begin = _aware(start)
        # a bad record is a RecordError here, naming its field; each is parsed once
        records = [parse_contact(dict(c)) for c in contacts]
        happenings = [
            e if isinstance(e, Event) else parse_event(dict(e), received_at=begin) for e in events
        ]
        return simulate(
            plan,
            renderer=workspace_renderer(self.workspace),
            settings=workspace_settings(self.workspace),
            contacts=records,
            events=happenings,
            start=begin,
            duration=parse_duration(duration),
            render_sample=None if render_all else RENDER_SAMPLE,
            conversions=self.workspace.conversions,
        )

    def report(
        self,
        *journeys: str,
        since: datetime | str | None = None,
        confidence: float = 0.95,
        database: str | Path | None = None,
    ) -> dict[str, Any]:
        """`journey report --format json`: per journey, step and split arm, from the store.

        `since` is an aware datetime or the CLI's text (`2026-03-01`, `14d`). An
        empty report (no journeys) when the store does not exist yet.
        """
        if isinstance(since, datetime):
            start: datetime | None = _aware(since)
        else:
            start = parse_since(since) if since else None
        report = workspace_report(
            self.root,
            database=Path(database) if database else None,
            journeys=journeys,
            since=start,
            confidence=confidence,
        )
        return report if report is not None else {"journeys": []}

    def status(self, database: str | Path | None = None) -> list[dict[str, Any]]:
        """`journey status --format json`'s journeys: per journey and step, from the store."""
        plans, location = plans_and_database(self.root, database)
        return status_rows(plans, location)


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise UsageError(f"{instant.isoformat()} has no time zone; pass an aware datetime")
    return instant

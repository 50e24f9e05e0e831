"""`events.NAME` in the templates of send steps and in webhook bodies: kept by a wait, on
every path to the step, or declared by `latest_events`.

The template-side twin of `semantic_kept`: the name must be one a `wait_for ...
as:` keeps or `latest_events` declares, its properties must be declared for the
event, every path to the step must pass a kept name's wait match, and a latest
event must be tested before it is read into. Problems point at the template line,
or at the body's value in the journey.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from journey.errors import Diagnostic, Location
from journey.loader import Document
from journey.renderer.failures import display_path
from journey.renderer.introspect import EventUse, event_use_of_string, template_closure_via
from journey.renderer.render import PARTS
from journey.validator.kept_events import KeptEvents, kept_events
from journey.validator.latest_guards import (
    LATEST_EVENT_MAY_BE_NONE,
    latest_names,
    may_be_none_message,
    tested_latest_events,
)
from journey.validator.semantic_context import StepView, mapping, steps, walk
from journey.validator.suggest import did_you_mean, listing, sentence
from journey.workspace import Workspace


@dataclass(frozen=True, slots=True)
class _Journey:
    """What the checks of one journey share: its names and where latest ones are tested."""

    kept: KeptEvents
    tested: dict[int | None, frozenset[str]]
    latest: frozenset[str]
    workspace: Workspace


def check_kept_in_templates(doc: Document, workspace: Workspace) -> list[Diagnostic]:
    data = doc.data if isinstance(doc.data, dict) else {}
    kept = kept_events(data)
    journey = _Journey(kept, tested_latest_events(data, kept), latest_names(kept), workspace)
    found: dict[tuple[str, int, str], Diagnostic] = {}
    for view in steps(data):
        if view.action == "send":
            problems = _send_problems(journey, view)
        elif view.action == "webhook":
            problems = _webhook_problems(journey, view, doc)
        else:
            continue
        for problem in problems:
            where = problem.location
            found.setdefault((where.path, where.line, problem.message), problem)
    return list(found.values())


def _send_problems(journey: _Journey, view: StepView) -> list[Diagnostic]:
    """Each template of the send, and what it extends or includes, at its own lines."""
    send = mapping(view.body)
    if not isinstance(send.get("template"), str):
        return []
    workspace = journey.workspace
    channel = workspace.channels.get(str(send.get("channel")))
    message = channel.message if channel and channel.message != "webhook" else "email"
    names = [f"{send['template']}/{filename}" for _f, filename, _r in PARTS[message]]
    problems: list[Diagnostic] = []
    for facts, _via in template_closure_via(workspace.templates_dir, names):
        path = display_path(workspace.templates_dir, facts.name)
        use = EventUse(facts.kept_events, facts.event_reads, facts.event_tests)
        problems += _use_problems(journey, view, use, _lines_of(path))
    return problems


def _webhook_problems(journey: _Journey, view: StepView, doc: Document) -> list[Diagnostic]:
    """Each string of a webhook's `body` is a template too, reported at its value."""
    problems: list[Diagnostic] = []
    body_path = (*view.body_path, "body")
    for path, value in walk(mapping(view.body).get("body"), body_path):
        if not isinstance(value, str) or "{" not in value:
            continue
        use = event_use_of_string(journey.workspace.templates_dir, value)
        if use is not None:
            where = doc.location(path, value=True)
            problems += _use_problems(journey, view, use, _always(where))
    return problems


def _lines_of(path: str) -> Callable[[int], Location]:
    def at(line: int) -> Location:
        return Location(path=path, line=line, col=1)

    return at


def _always(where: Location) -> Callable[[int], Location]:
    def at(_line: int) -> Location:
        return where

    return at


def _use_problems(
    journey: _Journey, view: StepView, use: EventUse, at: Callable[[int], Location]
) -> list[Diagnostic]:
    step_id = str(view.id)
    problems = [
        problem
        for ref, line in use.kept_events.items()
        for problem in _problems(
            journey.kept, journey.workspace, ref, view.index, step_id, at(line)
        )
    ]
    safe = journey.tested.get(view.index, frozenset()) | use.event_tests
    for name, line in use.event_reads.items():
        if name in journey.latest and name not in safe:
            problems.append(_may_be_none(journey.kept, name, at(line)))
    return problems


def _may_be_none(kept: KeptEvents, name: str, where: Location) -> Diagnostic:
    message, hint = may_be_none_message(name, kept)
    return Diagnostic(
        code=LATEST_EVENT_MAY_BE_NONE,
        severity="warning",
        message=message,
        location=where,
        hint=hint,
    )


def _problems(
    kept: KeptEvents, workspace: Workspace, ref: str, index: int, step_id: str, where: Location
) -> list[Diagnostic]:
    name, _, prop = ref.partition(".")
    known = kept.kept.get(name)
    if known is None:
        return [
            Diagnostic(
                code="unknown-property",
                severity="error",
                message=f"`events.{name}`: no `wait_for` of this journey keeps an event as"
                f" `{name}`, and `latest_events` does not name it",
                location=where,
                hint=sentence(
                    did_you_mean(name, kept.kept),
                    f"the journey has {listing(kept.kept)} (`as:` on `wait_for`,"
                    " `latest_events:`).",
                ),
            )
        ]
    problems = []
    if name not in kept.at_step(index):
        problems.append(
            Diagnostic(
                code="kept-event-unavailable",
                severity="error",
                message=f"`events.{name}` is not available on every path to step `{step_id}`:"
                f" it is kept only when step `{known.step_id}` matches `{known.event}`",
                location=where,
                hint=f"send this template only after `{known.step_id}` matched (send its"
                " timeout elsewhere with `on_timeout`).",
            )
        )
    types = (workspace.events or {}).get(known.event or "")
    if prop and types is not None and prop not in types:
        problems.append(
            Diagnostic(
                code="unknown-property",
                severity="error",
                message=f"`events.{name}.properties.{prop}`: event `{known.event}` declares no"
                f" property `{prop}`",
                location=where,
                hint=sentence(
                    did_you_mean(prop, types),
                    f"`{known.event}` declares {listing(types)}; declare new ones in"
                    " workspace.yaml.",
                ),
            )
        )
    return problems

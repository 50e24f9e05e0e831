"""`events.NAME` in the templates of send steps: kept by a wait, on every path to the send,
or declared by `latest_events`.

The template-side twin of `semantic_kept`: the name must be one a `wait_for ...
as:` keeps or `latest_events` declares, its properties must be declared for the
event, and every path to the send must pass a kept name's wait match. Problems
point at the template line.
"""

from __future__ import annotations

from journey.errors import Diagnostic, Location
from journey.loader import Document
from journey.renderer.failures import display_path
from journey.renderer.introspect import template_closure_via
from journey.renderer.render import PARTS
from journey.validator.kept_events import KeptEvents, kept_events
from journey.validator.latest_guards import (
    LATEST_EVENT_MAY_BE_NONE,
    latest_names,
    may_be_none_message,
    tested_latest_events,
)
from journey.validator.suggest import did_you_mean, listing, sentence
from journey.workspace import Workspace


def check_kept_in_templates(doc: Document, workspace: Workspace) -> list[Diagnostic]:
    data = doc.data if isinstance(doc.data, dict) else {}
    kept = kept_events(data)
    tested = tested_latest_events(data, kept)
    latest = latest_names(kept)
    found: dict[tuple[str, int, str], Diagnostic] = {}
    for index, step in enumerate(data.get("steps") or []):
        send = step.get("send") if isinstance(step, dict) else None
        if not isinstance(send, dict) or not isinstance(send.get("template"), str):
            continue
        channel = workspace.channels.get(str(send.get("channel")))
        message = channel.message if channel and channel.message != "webhook" else "email"
        names = [f"{send['template']}/{filename}" for _f, filename, _r in PARTS[message]]
        step_id = str(step.get("id"))
        closure = [facts for facts, _via in template_closure_via(workspace.templates_dir, names)]
        at_step = tested.get(index, frozenset())
        for facts in closure:
            path = display_path(workspace.templates_dir, facts.name)
            for ref, line in facts.kept_events.items():
                where = Location(path=path, line=line, col=1)
                for problem in _problems(kept, workspace, ref, index, step_id, where):
                    found.setdefault((where.path, line, problem.message), problem)
            for name, line in facts.event_reads.items():
                if name in latest and name not in at_step | facts.event_tests:
                    problem = _may_be_none(kept, name, Location(path=path, line=line, col=1))
                    found.setdefault((path, line, problem.message), problem)
    return list(found.values())


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

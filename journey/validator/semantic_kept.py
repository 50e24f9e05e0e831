"""`events.NAME.*` in expressions: a name some `wait_for ... as:` keeps, on every path here,
or one `latest_events:` declares.

`events.survey.properties.score` reads the event that the wait with `as: survey`
matched; `events.last_order` the contact's latest event that `latest_events`
names. It is an error to read a name neither declares (a typo), a property the
event's declaration does not list, a kept name on a step that can be reached
without that wait having matched (after its timeout, or before the wait), or to
give one name to both.
"""

from __future__ import annotations

from journey.expressions import ExpressionSyntaxError, referenced_names
from journey.validator.kept_events import KeptEvents, kept_events, latest_event_names
from journey.validator.latest_guards import (
    LATEST_EVENT_MAY_BE_NONE,
    latest_names,
    may_be_none_message,
    tested_latest_events,
    unguarded_reads,
)
from journey.validator.semantic_context import Checker
from journey.validator.semantic_expr import ExpressionSite, expression_sites
from journey.validator.semantic_properties import UNKNOWN_PROPERTY, check_reference
from journey.validator.suggest import did_you_mean, listing, sentence

KEPT_EVENT_UNAVAILABLE = "kept-event-unavailable"
DUPLICATE_EVENT_NAME = "duplicate-event-name"


def check_kept_event_references(checker: Checker) -> None:
    kept = kept_events(checker.data)
    _check_names_given_once(checker, kept)
    tested = tested_latest_events(checker.data, kept)
    latest = latest_names(kept)
    for site in expression_sites(checker.data):
        try:
            names = referenced_names(site.source)
        except ExpressionSyntaxError:
            continue  # reported by the expression pass
        step = _step_of(site)
        for dotted in sorted(names):
            root, _, rest = dotted.partition(".")
            if root == "events":
                check_kept_reference(checker, site, kept, rest, step)
        for name in unguarded_reads(site.source, latest - tested.get(step, frozenset())):
            message, hint = may_be_none_message(name, kept)
            checker.add(LATEST_EVENT_MAY_BE_NONE, message, site.path, hint=hint, severity="warning")


def _step_of(site: ExpressionSite) -> int | None:
    """The raw index of the step an expression belongs to; None for journey-wide ones."""
    if len(site.path) > 1 and site.path[0] == "steps" and isinstance(site.path[1], int):
        return site.path[1]
    return None


def check_kept_reference(
    checker: Checker, site: ExpressionSite, kept: KeptEvents, rest: str, step: int | None
) -> None:
    name, _, tail = rest.partition(".")
    if not name:
        checker.add(
            UNKNOWN_PROPERTY,
            "`events` is read whole: read one kept event, e.g. `events.survey.properties.score`",
            site.path,
            hint=_names_hint(kept),
        )
        return
    found = kept.kept.get(name)
    if found is None:
        checker.add(
            UNKNOWN_PROPERTY,
            f"`events.{name}`: no `wait_for` keeps an event as `{name}`, and `latest_events`"
            " does not name it",
            site.path,
            hint=sentence(did_you_mean(name, kept.kept), _names_hint(kept)),
        )
        return
    if name not in kept.at_step(step):
        where = "here" if step is None else "on every path to this step"
        checker.add(
            KEPT_EVENT_UNAVAILABLE,
            f"`events.{name}` is not available {where}: it is kept only when step "
            f"`{found.step_id}` matches `{found.event}`",
            site.path,
            hint=f"read it only on steps after `{found.step_id}` that its timeout does not"
            " reach (send the timeout elsewhere with `on_timeout`).",
        )
    if tail:
        check_reference(checker, site, f"events.{name}", found.event, tail)


def _names_hint(kept: KeptEvents) -> str:
    if not kept.kept:
        return (
            "keep an event with `as: NAME` on a `wait_for` step, or name the contact's"
            " latest one with `latest_events: {NAME: EVENT}`, then read `events.NAME`."
        )
    return f"this journey has {listing(kept.kept)} (`as:` on `wait_for`, `latest_events:`)."


def _check_names_given_once(checker: Checker, kept: KeptEvents) -> None:
    """`latest_events: {survey: …}` beside `as: survey`: `events.survey` would be ambiguous."""
    for name in latest_event_names(checker.data):
        wait = kept.kept.get(name)
        if wait is not None and not wait.is_latest:
            checker.add(
                DUPLICATE_EVENT_NAME,
                f"`events.{name}` is named twice: by `latest_events` and by the `as:` of"
                f" step `{wait.step_id}`",
                ("latest_events", name),
                hint=f"give the latest `{name}` another name, e.g. `latest_{name}`.",
            )

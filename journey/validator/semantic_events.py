"""Event names: those a journey listens for must exist when the workspace declares its events.

An event name with a typo never arrives, so the trigger never fires or the
`wait_for` always times out; nothing at run time would say why.
"""

from __future__ import annotations

from journey.loader import JsonPath
from journey.validator.semantic_context import Checker, mapping, sequence, steps, text
from journey.validator.suggest import did_you_mean, listing, sentence

OUTCOME_EVENTS = frozenset(
    {
        "journey.sent",
        "journey.failed",
        "journey.bounced",
        "journey.complained",
        "journey.opened",
        "journey.clicked",
        "journey.machine_opened",
        "journey.machine_clicked",
        "journey.unsubscribed",
    }
)


def event_name_sites(data: dict[str, object]) -> list[tuple[JsonPath, str]]:
    """Every place a journey names an event it listens for (not those in expressions)."""
    sites: list[tuple[JsonPath, str]] = []
    trigger = data.get("trigger")
    if isinstance(trigger, str) and trigger:
        sites.append((("trigger",), trigger))
    trigger_map = mapping(trigger)
    _add(sites, ("trigger", "event"), trigger_map.get("event"))
    _add(
        sites,
        ("trigger", "inactivity", "event"),
        mapping(trigger_map.get("inactivity")).get("event"),
    )
    _add(sites, ("goal", "event"), mapping(data.get("goal")).get("event"))
    for index, item in enumerate(sequence(data.get("exit_when"))):
        _add(sites, ("exit_when", index, "event"), mapping(item).get("event"))
    for view in steps(data):
        if view.action == "wait_for":
            _add(sites, (*view.body_path, "event"), mapping(view.body).get("event"))
    for name, event in mapping(data.get("latest_events")).items():
        _add(sites, ("latest_events", name), event)
    return sites


def _add(sites: list[tuple[JsonPath, str]], path: JsonPath, value: object) -> None:
    name = text(value)
    if name is not None:
        sites.append((path, name))


def check_event_names(checker: Checker) -> None:
    for path, name in event_name_sites(checker.data):
        check_event_name(checker, name, path)


def check_event_name(checker: Checker, name: str, path: JsonPath) -> None:
    """``unknown-event`` for an undeclared name (or a ``journey.*`` name that is no outcome)."""
    if name in OUTCOME_EVENTS:
        return
    if name.startswith("journey."):
        checker.add(
            "unknown-event",
            f"`{name}` is not a delivery outcome event",
            path,
            hint=sentence(
                did_you_mean(name, OUTCOME_EVENTS), f"outcome events are {listing(OUTCOME_EVENTS)}."
            ),
        )
        return
    declared = checker.workspace.events if checker.workspace else None
    if declared is None or name in declared:
        return
    checker.add(
        "unknown-event",
        f"event `{name}` is not declared in workspace.yaml",
        path,
        hint=sentence(
            did_you_mean(name, declared),
            f"declared events: {listing(declared)}; add new ones under `events:`.",
        ),
    )

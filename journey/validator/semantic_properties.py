"""`entry.*` and `event.*` in expressions: declared properties, compared with values of their type.

When workspace.yaml declares an event's properties, `entry.properties.coupon_code`
for a property the declaration does not list reads as nothing at send time (or
fails a template), and `event.properties.score >= '9'` compares a number with
text; both are reported where they are written. The type check covers every
holder of event data: `entry`, `event`, and each `events.NAME` (kept by a wait or
declared by `latest_events`).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise

from jinja2 import nodes

from journey.event_types import fits_type, type_of
from journey.expressions import ExpressionSyntaxError, referenced_names, syntax_tree
from journey.tracking.hits import PROPERTIES as TRACKED_PROPERTIES
from journey.validator.kept_events import KeptEvents, kept_events
from journey.validator.semantic_context import Checker, mapping
from journey.validator.semantic_expr import ExpressionSite, expression_sites
from journey.validator.suggest import did_you_mean, listing, sentence

UNKNOWN_PROPERTY = "unknown-property"
PROPERTY_TYPE = "property-type"
ENTRY_KEYS = frozenset({"name", "timestamp", "properties"})
EVENT_KEYS = frozenset({"id", "name", "timestamp", "properties", "contact_id"})


def entry_event(data: Mapping[str, object]) -> str | None:
    """The event whose properties `entry.properties` holds; None for other triggers."""
    trigger = data.get("trigger")
    if isinstance(trigger, str):
        return trigger
    name = mapping(trigger).get("event")
    return name if isinstance(name, str) else None


def has_event_trigger(data: Mapping[str, object]) -> bool:
    trigger = data.get("trigger")
    return isinstance(trigger, str) or bool({"event", "inactivity"} & set(mapping(trigger)))


def declared_properties(checker: Checker, event: str | None) -> dict[str, str] | None:
    """The declared property types of `event`, or None when nothing can be checked."""
    if event in TRACKED_PROPERTIES:  # built in: no `events:` declaration needed
        return TRACKED_PROPERTIES[event]
    declared = checker.workspace.events if checker.workspace else None
    if event is None or declared is None:
        return None
    return declared.get(event)


def check_event_properties(checker: Checker) -> None:
    entry = entry_event(checker.data)
    kept = kept_events(checker.data)
    for site in expression_sites(checker.data):
        try:
            names = referenced_names(site.source)
            tree = syntax_tree(site.source)
        except ExpressionSyntaxError:
            continue  # reported by the expression pass
        for dotted in sorted(names):
            root, _, rest = dotted.partition(".")
            if root == "entry" and rest:
                check_reference(checker, site, "entry", entry, rest)
            elif root == "event" and rest and site.event_scope:
                check_reference(checker, site, "event", site.event, rest)
        _check_comparisons(checker, site, tree, entry, kept)


def check_reference(
    checker: Checker, site: ExpressionSite, root: str, event: str | None, rest: str
) -> None:
    key, _, prop = rest.partition(".")
    keys = EVENT_KEYS if root == "event" else ENTRY_KEYS  # `events.NAME` is kept like entry
    if key not in keys:
        checker.add(
            UNKNOWN_PROPERTY,
            f"`{root}.{key}` does not exist",
            site.path,
            hint=sentence(
                did_you_mean(key, keys),
                f"`{root}` has {listing(keys)}; event data is under `{root}.properties`.",
            ),
        )
        return
    if key != "properties" or not prop:
        return
    name = prop.partition(".")[0]
    if root == "entry" and not has_event_trigger(checker.data):
        checker.add(
            UNKNOWN_PROPERTY,
            f"`entry.properties.{name}` is always empty: this journey is not entered by an event",
            site.path,
            hint="Only an event trigger gives the entry properties; read `contact.*` instead.",
        )
        return
    types = declared_properties(checker, event)
    if types is None or name in types:
        return
    checker.add(
        UNKNOWN_PROPERTY,
        f"`{root}.properties.{name}`: event `{event}` declares no property `{name}`",
        site.path,
        hint=sentence(
            did_you_mean(name, types),
            f"`{event}` declares {listing(types)}; declare new ones under "
            f"`events: {{{event}: …}}` in workspace.yaml.",
        ),
    )


def _check_comparisons(
    checker: Checker, site: ExpressionSite, tree: nodes.Expr, entry: str | None, kept: KeptEvents
) -> None:
    sources = _event_sources(site, entry, kept)
    top = [tree] if isinstance(tree, nodes.Compare) else []
    for compare in [*top, *tree.find_all(nodes.Compare)]:
        sides = [compare.expr, *(op.expr for op in compare.ops)]
        for (left, right), op in zip(pairwise(sides), compare.ops, strict=True):
            if op.op in ("in", "notin"):
                continue
            for ref, other in ((left, right), (right, left)):
                if isinstance(other, nodes.Const) and other.value is not None:
                    _check_type(checker, site, ref, other.value, sources)


def _event_sources(site: ExpressionSite, entry: str | None, kept: KeptEvents) -> dict[str, str]:
    """Every holder of event data an expression can read -> the event whose declaration
    types it: `entry`, `event` where one is matched, and each `events.NAME`."""
    sources = {f"events.{name}": held.event for name, held in kept.kept.items()}
    sources["entry"] = entry
    if site.event_scope:
        sources["event"] = site.event
    return {holder: event for holder, event in sources.items() if event is not None}


def _check_type(
    checker: Checker,
    site: ExpressionSite,
    ref: nodes.Node,
    value: object,
    sources: Mapping[str, str],
) -> None:
    path = _property_path(ref)
    if path is None or path[0] not in sources:
        return
    holder, name = path
    types = declared_properties(checker, sources[holder])
    kind = types.get(name) if types else None
    if kind is None or kind in ("date", "datetime") or fits_type(value, kind):
        return
    checker.add(
        PROPERTY_TYPE,
        f"`{holder}.properties.{name}` is declared {kind} but is compared with {type_of(value)}"
        f" ({value!r})",
        site.path,
        hint=f"Compare it with a {kind}, e.g. without quotes around a number.",
    )


def _property_path(node: nodes.Node) -> tuple[str, str] | None:
    """`entry.properties.total` -> ("entry", "total"); `events.survey.properties.score`
    -> ("events.survey", "score")."""
    if isinstance(node, nodes.Getattr):
        name = node.attr
    elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        name = node.arg.value
    else:
        return None
    holder = node.node
    if not (isinstance(holder, nodes.Getattr) and holder.attr == "properties"):
        return None
    base = _holder_name(holder.node)
    return (base, name) if base is not None and isinstance(name, str) else None


def _holder_name(node: nodes.Node) -> str | None:
    """`entry`, `event`, or `events.NAME` (by attribute or by a constant key)."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        key: object = node.attr
    elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        key = node.arg.value
    else:
        return None
    inner = node.node
    if isinstance(inner, nodes.Name) and inner.name == "events" and isinstance(key, str):
        return f"events.{key}"
    return None

"""Which `events.NAME` a step may read: the names `wait_for ... as:` keeps, and where they hold,
and the names `latest_events:` declares, which hold everywhere.

A `wait_for` with `as: survey` keeps the event that matched it; a step can read
`events.survey` only when every path from the first step to it went through that
wait's match (not its timeout). This is a must-analysis over the step graph: a
name flows along a wait's match edge, is dropped on its timeout edge, and holds at
a step when it holds on every edge into it. A latest event (`latest_events:
{last_order: order_placed}`) is read from the contact's history wherever it is
asked for, journey-wide expressions included; it may be none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from journey.validator.semantic_context import StepView, mapping, steps, text
from journey.validator.semantic_graph import Edge, resolve_target, step_edges, step_index


@dataclass(frozen=True, slots=True)
class KeptEvent:
    """One `events.NAME`: the event it holds and the wait_for step that keeps it
    (None for a name of `latest_events`)."""

    name: str
    event: str | None
    step_id: str | None

    @property
    def is_latest(self) -> bool:
        return self.step_id is None


@dataclass(frozen=True, slots=True)
class KeptEvents:
    """The journey's `as:` names, and which of them hold at each step (by raw step index)."""

    kept: dict[str, KeptEvent]
    available: dict[int, frozenset[str]]

    def at_step(self, raw_index: int | None) -> frozenset[str]:
        """Names readable at the step (None: a journey-wide expression)."""
        latest = frozenset(name for name, kept in self.kept.items() if kept.is_latest)
        if raw_index is None:
            return latest
        return self.available.get(raw_index, frozenset()) | latest


def kept_name(view: StepView) -> str | None:
    if view.action != "wait_for":
        return None
    return text(mapping(view.body).get("as"))


def latest_event_names(data: dict[str, object]) -> dict[str, str | None]:
    """`latest_events:` as written: name -> the event it reads (None when not a name)."""
    return {
        name: text(event)
        for name, event in mapping(data.get("latest_events")).items()
        if isinstance(name, str)
    }


def kept_events(data: dict[str, object]) -> KeptEvents:
    views = steps(data)
    kept: dict[str, KeptEvent] = {}
    for view in views:
        name = kept_name(view)
        if name is not None and name not in kept:
            event = text(mapping(view.body).get("event"))
            kept[name] = KeptEvent(name=name, event=event, step_id=view.id)
    waits = frozenset(kept)
    for name, event in latest_event_names(data).items():
        kept.setdefault(name, KeptEvent(name=name, event=event, step_id=None))
    if not waits or not views:
        return KeptEvents(kept=kept, available={})
    held = _must_hold(views, waits)
    return KeptEvents(kept=kept, available={views[p].index: names for p, names in enumerate(held)})


def _must_hold(views: list[StepView], universe: frozenset[str]) -> list[frozenset[str]]:
    """Names held on entering each step (by position); unreachable steps hold everything."""

    def after(edge: Edge, order: int, before: frozenset[str]) -> frozenset[str]:
        return _after(views[edge.source], before, order)

    return must_hold(views, universe, frozenset(), after)


Transfer = Callable[[Edge, int, frozenset[str]], frozenset[str]]


def must_hold(
    views: list[StepView], universe: frozenset[str], start: frozenset[str], after: Transfer
) -> list[frozenset[str]]:
    """Names that hold on entering each step (by position) on every path from the first,
    which holds `start`; `after(edge, order, held)` is what holds past an edge (`order`:
    the edge's place among its step's edges, a wait_for's match first). Unreachable
    steps hold the whole universe."""
    index_of = step_index(views)
    incoming: list[list[tuple[Edge, int]]] = [[] for _ in views]
    seen_edges: dict[int, int] = {}
    for edge in step_edges(views):
        target = resolve_target(edge.target, index_of)
        order = seen_edges.get(edge.source, 0)
        seen_edges[edge.source] = order + 1
        if target is None or target >= len(views):
            continue
        incoming[target].append((edge, order))
    held = [universe] * len(views)
    held[0] = start
    changed = True
    while changed:
        changed = False
        for position in range(1, len(views)):
            sources = incoming[position]
            if not sources:
                continue
            names = universe
            for edge, order in sources:
                names = names & after(edge, order, held[edge.source])
            if names != held[position]:
                held[position] = names
                changed = True
    return held


def _after(view: StepView, before: frozenset[str], edge_order: int) -> frozenset[str]:
    """Names held after leaving `view` by its `edge_order`-th edge."""
    name = kept_name(view)
    if name is None:
        return before
    return before | {name} if edge_order == 0 else before - {name}

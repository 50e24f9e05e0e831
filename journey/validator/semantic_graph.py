"""The step graph: ids, targets, reachability, loops that spin, split weights, exit reasons.

A journey is a small directed graph; mistakes in it (a typo in a `goto`, a step
nothing leads to, a loop without a wait) only show when a contact gets stuck,
so they are caught here, before any contact enters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from journey.loader import JsonPath
from journey.model import END, RESERVED_EXIT_REASONS
from journey.validator.semantic_context import (
    Checker,
    StepView,
    integer,
    mapping,
    sequence,
    steps,
    text,
)
from journey.validator.suggest import closest, did_you_mean, sentence

WAITING_KINDS = frozenset({"wait", "wait_until", "wait_for"})
EXIT_REASON = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True, slots=True)
class Edge:
    """Control passing from one step to a target; ``path`` is where the target is written."""

    source: int
    target: str
    path: JsonPath | None  # None for the implicit "following step"


def check_graph(checker: Checker) -> None:
    views = steps(checker.data)
    if "steps" in checker.data and checker.data["steps"] == []:
        checker.add(
            "empty-steps",
            "the journey has no steps",
            ("steps",),
            hint="Add at least one step, e.g. `- id: welcome` with a `send`.",
        )
    index_of = _check_ids(checker, views)
    edges = [edge for position in range(len(views)) for edge in _edges(position, views)]
    _check_targets(checker, edges, index_of)
    # a misspelt target is followed to the step it probably meant, so the step it was
    # meant to reach is not also reported as unreachable
    likely = dict(index_of)
    for edge in edges:
        if edge.target not in likely and edge.target != END and not edge.target.startswith("#"):
            guess = closest(edge.target, index_of)
            if guess:
                likely[edge.target] = index_of[guess[0]]
    _check_reachable(checker, views, edges, likely)
    _check_loops(checker, views, edges, likely)
    for view in views:
        if view.action == "split":
            _check_split(checker, view)
        elif view.action == "exit":
            check_exit_reason(checker, view.body, view.body_path)


def step_edges(views: list[StepView]) -> list[Edge]:
    """Every edge of the step graph; a wait_for's match edge comes before its timeout edge."""
    return [edge for position in range(len(views)) for edge in _edges(position, views)]


def step_index(views: list[StepView]) -> dict[str, int]:
    """Step id -> position in ``views`` (the first of duplicates; `end` left out)."""
    index_of: dict[str, int] = {}
    for position, view in enumerate(views):
        if view.id is not None and view.id != END:
            index_of.setdefault(view.id, position)
    return index_of


def resolve_target(target: str, index_of: dict[str, int]) -> int | None:
    return _resolve(target, index_of)


def _check_ids(checker: Checker, views: list[StepView]) -> dict[str, int]:
    index_of: dict[str, int] = {}
    for position, view in enumerate(views):
        if view.id is None:
            continue
        id_path = (*view.path, "id")
        if view.id == END:
            checker.add(
                "reserved-step-id",
                "`end` is reserved: it is the target that completes the journey",
                id_path,
                hint="Give this step another id, e.g. `finish`.",
            )
            continue
        if view.id in index_of:
            first = checker.doc.location((*views[index_of[view.id]].path, "id"), value=True)
            checker.add(
                "duplicate-step-id",
                f"step id `{view.id}` is already used on line {first.line}",
                id_path,
                hint="Step ids must be unique in a journey; rename one of them.",
            )
            continue
        index_of[view.id] = position
    return index_of


def _edges(position: int, views: list[StepView]) -> list[Edge]:
    """Where control can go from a step (positions in ``views``, not in the raw list)."""
    view = views[position]
    # `#N` names the following step by position: it may lack an id or share one
    following = f"#{position + 1}" if position + 1 < len(views) else END
    next_target = text(view.raw.get("next"))
    onward = (
        Edge(position, next_target, (*view.path, "next"))
        if next_target is not None
        else Edge(position, following, None)
    )
    body, body_path = view.body, view.body_path
    if view.action == "exit":
        return []
    if view.action == "branch":
        return _branch_edges(position, body, body_path, onward)
    if view.action == "split":
        return _split_edges(position, body, body_path, onward)
    if view.action == "wait_for":
        timeout = text(mapping(body).get("on_timeout"))
        timeout_edge = (
            Edge(position, timeout, (*body_path, "on_timeout"))
            if timeout is not None
            else Edge(position, following, None)
        )
        return [onward, timeout_edge]
    return [onward]


def _branch_edges(position: int, body: object, body_path: JsonPath, onward: Edge) -> list[Edge]:
    edges: list[Edge] = []
    has_else = False
    for arm_index, arm in enumerate(sequence(body)):
        arm_map = mapping(arm)
        for key in ("goto", "else"):
            target = text(arm_map.get(key))
            if target is not None:
                edges.append(Edge(position, target, (*body_path, arm_index, key)))
        has_else = has_else or "else" in arm_map
    return edges if has_else else [*edges, onward]


def _split_edges(position: int, body: object, body_path: JsonPath, onward: Edge) -> list[Edge]:
    edges: list[Edge] = []
    for arm_index, arm in enumerate(sequence(body)):
        target = text(mapping(arm).get("goto"))
        if target is None:
            edges.append(onward)
        else:
            edges.append(Edge(position, target, (*body_path, arm_index, "goto")))
    return edges or [onward]


def _check_targets(checker: Checker, edges: list[Edge], index_of: dict[str, int]) -> None:
    for edge in edges:
        if edge.path is None or edge.target == END or edge.target in index_of:
            continue
        checker.add(
            "unknown-step-target",
            f"there is no step `{edge.target}` to go to",
            edge.path,
            hint=sentence(did_you_mean(edge.target, index_of), "a target is a step id or `end`."),
        )


def _resolve(target: str, index_of: dict[str, int]) -> int | None:
    if target.startswith("#"):
        return int(target[1:])
    return index_of.get(target)


def _successors(edges: list[Edge], index_of: dict[str, int], count: int) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(count)]
    for edge in edges:
        target = _resolve(edge.target, index_of)
        if target is not None and target not in out[edge.source]:
            out[edge.source].append(target)
    return out


def _check_reachable(
    checker: Checker, views: list[StepView], edges: list[Edge], index_of: dict[str, int]
) -> None:
    if not views:
        return
    successors = _successors(edges, index_of, len(views))
    reached = _reachable_from(0, successors)
    covered: set[int] = set()
    for position, view in enumerate(views):
        if position in reached or position in covered:
            continue
        # only the first step of an unreachable stretch is reported; the rest follow from it
        stretch = _reachable_from(position, successors) - reached
        covered |= stretch
        name = f"step `{view.id}`" if view.id else "this step"
        more = len(stretch) - 1
        checker.add(
            "unreachable-step",
            f"{name} can never be reached: no path from the first step leads to it"
            + (f"; the {more} step{'s' * (more > 1)} it leads to cannot be either" if more else ""),
            (*view.path, "id") if view.id else view.path,
            hint="Point a `next`, `goto` or `else` at it, or remove the `next`/`exit` "
            "before it, or delete the step.",
        )


def _reachable_from(start: int, successors: list[list[int]]) -> set[int]:
    reached = {start}
    frontier = [start]
    while frontier:
        for target in successors[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    return reached


def _check_loops(
    checker: Checker, views: list[StepView], edges: list[Edge], index_of: dict[str, int]
) -> None:
    waiting = {i for i, view in enumerate(views) if view.action in WAITING_KINDS}
    successors = [
        [t for t in targets if t not in waiting] if i not in waiting else []
        for i, targets in enumerate(_successors(edges, index_of, len(views)))
    ]
    for component in strongly_connected(successors):
        members = sorted(component)
        if len(members) == 1 and members[0] not in successors[members[0]]:
            continue
        closing = _closing_edge(edges, set(members), index_of)
        names = ", ".join(f"`{views[m].id or m}`" for m in members)
        where = closing.path if closing and closing.path else (*views[members[-1]].path, "id")
        checker.add(
            "loop-without-wait",
            f"steps {names} form a loop with no wait, wait_until or wait_for step: "
            "a contact would go round it forever",
            where,
            hint="Add a `wait` step inside the loop, or let the loop end somewhere else.",
        )


def _closing_edge(edges: list[Edge], members: set[int], index_of: dict[str, int]) -> Edge | None:
    """The edge that goes back (to an earlier or the same step): where a reader sees the loop."""
    for edge in edges:
        target = _resolve(edge.target, index_of)
        going_back = target is not None and target <= edge.source
        if going_back and edge.source in members and target in members:
            return edge
    return None


def strongly_connected(successors: list[list[int]]) -> list[list[int]]:
    """Tarjan's algorithm, iterative so that a long journey cannot hit the recursion limit."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in range(len(successors)):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if child < len(successors[node]):
                work.append((node, child + 1))
                target = successors[node][child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _check_split(checker: Checker, view: StepView) -> None:
    arms = sequence(view.body)
    weights = [integer(mapping(arm).get("weight")) for arm in arms]
    if not arms or any(w is None for w in weights):
        return  # the schema pass reports missing or non-integer weights
    total = sum(w for w in weights if w is not None)
    if total != 100:
        checker.add(
            "split-weights",
            f"split weights add up to {total}, not 100",
            view.body_path,
            hint=f"Adjust the weights so they sum to 100 (now {total}).",
        )


def check_exit_reason(checker: Checker, reason: object, path: JsonPath) -> None:
    if not isinstance(reason, str):
        return  # the schema pass reports the type
    if reason in RESERVED_EXIT_REASONS:
        checker.add(
            "invalid-exit-reason",
            f"`{reason}` is a reserved exit reason",
            path,
            hint="Pick your own word, e.g. `not_eligible`; reserved: "
            + ", ".join(sorted(RESERVED_EXIT_REASONS))
            + ".",
        )
    elif not EXIT_REASON.match(reason):
        checker.add(
            "invalid-exit-reason",
            f"`{reason}` is not a valid exit reason",
            path,
            hint="Use lower-case letters, digits and `_`, starting with a letter, "
            "e.g. `not_eligible`.",
        )

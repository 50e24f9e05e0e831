"""Plan -> diagram geometry for the site: boxes and edge paths laid out by grandalf.

grandalf's Sugiyama layout (layers, crossing reduction, dummy points for long
edges) places the nodes; this module only measures text, asks for the layout
and reads the coordinates back. Edge labels become small vertices of their own,
so the layout keeps room for them instead of drawing text over other edges.
The site's templates turn a `Diagram` into inline SVG.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

from grandalf.graphs import Edge as GEdge
from grandalf.graphs import Graph, Vertex
from grandalf.layouts import SugiyamaLayout
from grandalf.routing import route_with_lines

from journey.diagram import describe_step, describe_trigger, edges
from journey.model import END, Plan, SendStep

CHAR_WIDTH = 7.0  # px per character at the diagram's 12px font, a little generous
LINE_HEIGHT = 16.0
PADDING_X = 12.0
PADDING_Y = 8.0
WRAP = 30  # characters per line of a node's description
LABEL_MAX = 26  # characters of an edge label shown; the full text goes in <title>
MARGIN = 16.0
COMPONENT_GAP = 40.0
TRIGGER_KEY = "@trigger"  # not a possible step id, unlike diagram.TRIGGER_NODE


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """A box: `step_id` is empty for the trigger and `end`; `x`, `y` are its top-left."""

    key: str
    step_id: str
    kind: str
    heading: str
    lines: tuple[str, ...]
    title: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    text: str
    title: str
    x: float  # centre
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Path:
    source: str
    target: str
    points: tuple[tuple[float, float], ...]
    label: Label | None = None

    @property
    def d(self) -> str:
        """SVG path data through the layout's points."""
        first, *rest = self.points
        return f"M{first[0]:.1f},{first[1]:.1f}" + "".join(f" L{x:.1f},{y:.1f}" for x, y in rest)


@dataclass(frozen=True, slots=True)
class Diagram:
    width: float
    height: float
    nodes: list[Node] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)


class _Box:
    """The view grandalf reads sizes from and writes the centre into."""

    def __init__(self, width: float, height: float) -> None:
        self.w = width
        self.h = height
        self.xy: tuple[float, float] = (0.0, 0.0)


class _Line:
    """The edge view: grandalf hands it the routed points."""

    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.points = [(float(x), float(y)) for x, y in points]


@dataclass(slots=True)
class _Spec:
    key: str
    step_id: str
    kind: str
    heading: str
    lines: tuple[str, ...]
    title: str
    is_label: bool = False

    def size(self) -> tuple[float, float]:
        longest = max([len(self.heading), *(len(line) for line in self.lines)])
        rows = (1 if self.heading else 0) + len(self.lines)
        if self.is_label:
            return longest * CHAR_WIDTH * 0.9 + 10, LINE_HEIGHT + 4
        return longest * CHAR_WIDTH + 2 * PADDING_X, rows * LINE_HEIGHT + 2 * PADDING_Y


def layout(plan: Plan) -> Diagram:
    """Lay out the plan's step graph (trigger, steps, `end` when used) top to bottom."""
    specs, links = _graph(plan)
    vertices = {key: Vertex(key) for key in specs}
    for key, vertex in vertices.items():
        vertex.view = _Box(*specs[key].size())
    graph_edges = []
    for source, target in links:
        edge = GEdge(vertices[source], vertices[target])
        edge.view = _Line()
        graph_edges.append(edge)
    graph = Graph(list(vertices.values()), graph_edges)
    offset = 0.0
    for component in graph.C:
        offset = _layout_component(component, offset) + COMPONENT_GAP
    return _collect(specs, vertices, graph_edges, links)


def _layout_component(component: Any, offset: float) -> float:
    """Run Sugiyama on one connected component; shift it right of `offset`; return its right."""
    sugiyama = SugiyamaLayout(component)
    sugiyama.xspace = 28
    sugiyama.yspace = 30
    sugiyama.route_edge = route_with_lines
    roots = [v for v in component.sV if v.data == TRIGGER_KEY] or None
    sugiyama.init_all(roots=roots)
    sugiyama.draw(3)
    left = min(v.view.xy[0] - v.view.w / 2 for v in component.sV)
    shift = offset - left
    for vertex in component.sV:
        vertex.view.xy = (vertex.view.xy[0] + shift, vertex.view.xy[1])
    for edge in component.sE:
        edge.view.points = [(x + shift, y) for x, y in edge.view.points]
    right: float = max(v.view.xy[0] + v.view.w / 2 for v in component.sV)
    return right


def _graph(plan: Plan) -> tuple[dict[str, _Spec], list[tuple[str, str]]]:
    """Node specs and the edges between them; labelled edges run through a label vertex."""
    trigger = describe_trigger(plan.trigger)
    specs: dict[str, _Spec] = {
        TRIGGER_KEY: _Spec(TRIGGER_KEY, "", "trigger", "trigger", _wrap(trigger), trigger)
    }
    for step in plan.steps:
        text = describe_step(step)
        kind = f"send-{step.message}" if isinstance(step, SendStep) else step.kind
        specs[step.id] = _Spec(step.id, step.id, kind, step.id, _wrap(text), f"{step.id}: {text}")
    links: list[tuple[str, str]] = []
    labels: dict[tuple[str, str], list[str]] = {}
    for index, edge in enumerate(edges(plan)):
        if edge.target == END and END not in specs:
            specs[END] = _Spec(END, "", "end", "end", (), "end: the journey completes")
        source = TRIGGER_KEY if index == 0 else edge.source  # the first edge leaves the trigger
        if source == edge.target:
            continue  # a step cannot lead to itself in a valid journey
        labels.setdefault((source, edge.target), []).append(edge.label)
    for (source, target), texts in labels.items():
        text = " / ".join(t for t in texts if t)
        if not text:
            links.append((source, target))
            continue
        key = f"label:{source}->{target}"
        shown = text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"
        specs[key] = _Spec(key, "", "label", "", (shown,), text, is_label=True)
        links += [(source, key), (key, target)]
    return specs, links


def _wrap(text: str) -> tuple[str, ...]:
    return tuple(textwrap.wrap(text, WRAP, break_long_words=True, break_on_hyphens=False)) or ("",)


def _collect(
    specs: dict[str, _Spec],
    vertices: dict[str, Vertex],
    graph_edges: list[GEdge],
    links: list[tuple[str, str]],
) -> Diagram:
    top = min(v.view.xy[1] - v.view.h / 2 for v in vertices.values())

    def moved(point: tuple[float, float]) -> tuple[float, float]:
        return point[0] + MARGIN, point[1] - top + MARGIN

    nodes: list[Node] = []
    label_at: dict[str, Label] = {}
    for key, vertex in vertices.items():
        spec, view = specs[key], vertex.view
        cx, cy = moved(view.xy)
        if spec.is_label:
            label_at[key] = Label(
                text=spec.lines[0], title=spec.title, x=cx, y=cy, width=view.w, height=view.h
            )
            continue
        nodes.append(
            Node(
                key=key,
                step_id=spec.step_id,
                kind=spec.kind,
                heading=spec.heading,
                lines=spec.lines,
                title=spec.title,
                x=cx - view.w / 2,
                y=cy - view.h / 2,
                width=view.w,
                height=view.h,
            )
        )
    paths = _join_label_paths(graph_edges, links, label_at, moved)
    width = max(n.x + n.width for n in nodes) + MARGIN
    height = max(n.y + n.height for n in nodes) + MARGIN
    return Diagram(width, height, nodes, paths)


def _join_label_paths(
    graph_edges: list[GEdge],
    links: list[tuple[str, str]],
    label_at: dict[str, Label],
    moved: Any,
) -> list[Path]:
    """One path per journey edge: the halves through a label vertex become one polyline."""
    points = {
        link: [moved(p) for p in edge.view.points]
        for link, edge in zip(links, graph_edges, strict=True)
    }
    paths: list[Path] = []
    for source, target in links:
        if source in label_at:
            continue  # the second half, joined below
        if target in label_at:
            second = next(link for link in links if link[0] == target)
            joined = points[(source, target)] + points[second]
            # the label box's centre stays on the path, so the text sits on the line
            paths.append(
                Path(
                    source=source,
                    target=second[1],
                    points=tuple(joined),
                    label=label_at[target],
                )
            )
        else:
            paths.append(Path(source=source, target=target, points=tuple(points[(source, target)])))
    return paths

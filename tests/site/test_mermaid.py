"""`journey graph --format mermaid` is what a pull-request comment shows: GitHub must parse it.

No Mermaid parser here (offline), so these are the syntax rules it relies on:
quoted labels without raw quotes or angle brackets, ids that are not keywords
and are distinct per node, one statement per line.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from journey.compiler import compile_journey
from journey.diagram import to_mermaid
from journey.loader import load_yaml
from journey.model import ExitStep, Plan
from journey.validator import check_workspace
from tests.site.conftest import ROOT

EXAMPLES = sorted(
    p for p in (ROOT / "journeys" / "examples").glob("*.yaml") if not p.name.endswith(".test.yaml")
)
NODE = re.compile(r'^  (?P<id>[A-Za-z][A-Za-z0-9_]*)(?P<shape>\(\["|\["|\{\{")(?P<label>.*)"')
EDGE = re.compile(
    r'^  (?P<a>[A-Za-z][A-Za-z0-9_]*) -->(\|"(?P<label>[^"]*)"\|)? (?P<b>[A-Za-z0-9_]+)$'
)
KEYWORDS = {"end", "graph", "flowchart", "subgraph", "click", "style", "class", "classDef"}


def plan_of(path: Path, text: str | None = None) -> Plan:
    workspace, _, _ = check_workspace(ROOT)
    if text is not None:
        copy = path.with_name("copy-" + path.name)
        copy.write_text(text, encoding="utf-8")
        path = copy
    return compile_journey(load_yaml(path), workspace)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_graph_follows_mermaid_syntax(path: Path) -> None:
    lines = to_mermaid(plan_of(path)).splitlines()
    assert lines[0] == "flowchart TD"
    ids: list[str] = []
    for line in lines[1:]:
        node, edge = NODE.match(line), EDGE.match(line)
        assert node or edge, f"not a node or an edge: {line!r}"
        if node:
            ids.append(node["id"])
            label = line[node.end("shape") :].rsplit('"', 1)[0]
            assert '"' not in label and "<" not in label and ">" not in label
        if edge:
            assert edge["a"] in ids and edge["b"] in ids  # every edge joins declared nodes
    assert len(ids) == len(set(ids)) and not set(ids) & KEYWORDS


def test_look_alike_step_ids_get_distinct_mermaid_ids(tmp_path: Path) -> None:
    source = ROOT / "journeys" / "examples" / "loyalty_birthday.yaml"
    text = source.read_text(encoding="utf-8").replace("id: grant-treat", "id: until_the_day")
    path = tmp_path / "birthday.yaml"
    plan = plan_of(path, text)
    assert {"until_the_day", "until-the-day"} <= {s.id for s in plan.steps}
    ids = [m["id"] for m in map(NODE.match, to_mermaid(plan).splitlines()[1:]) if m]
    assert len(ids) == len(set(ids)) == len(plan.steps) + 2  # and the trigger and `end`


def test_quotes_hashes_brackets_and_line_breaks_cannot_break_a_label() -> None:
    plan = plan_of(ROOT / "journeys" / "examples" / "loyalty_birthday.yaml")
    odd = ExitStep(id="treat-reminder", reason='say "#1" <now>\nplease')
    plan = replace(plan, steps=(*plan.steps[:-1], odd))
    line = next(x for x in to_mermaid(plan).splitlines() if x.startswith("  s_treat_reminder("))
    assert NODE.match(line)
    assert "#quot;#35;1#quot; #lt;now#gt; please" in line

"""Diagrams show every step and every way out of it."""

from __future__ import annotations

from journey.diagram import edges, to_dot, to_mermaid
from tests.compiler.test_compile import JOURNEY, compiled


def test_mermaid_has_a_node_per_step_and_labelled_edges() -> None:
    plan = compiled()
    text = to_mermaid(plan)
    assert text.startswith("flowchart TD\n")
    for step in plan.steps:
        assert f"s_{step.id.replace('-', '_')}[" in text or f"s_{step.id}{{" in text
    assert '-->|"timeout"| s_reminder' in text
    assert '-->|"control 10%"| s_end' in text
    assert "s_trigger -->" in text


def test_dot_is_well_formed() -> None:
    text = to_dot(compiled())
    assert text.startswith('digraph "onboarding-welcome" {') and text.rstrip().endswith("}")
    assert text.count("->") == len(edges(compiled()))


def test_quotes_and_brackets_in_conditions_are_escaped() -> None:
    plan = compiled(
        JOURNEY.replace("has_event('project_created')", 'contact.score > 3 and contact.tag == "x"')
    )
    mermaid = to_mermaid(plan)
    label = next(line for line in mermaid.splitlines() if "s_activated -->|" in line)
    assert "#gt;" in label and "#quot;x#quot;" in label

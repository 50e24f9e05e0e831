"""An event's `example:` payload holds declared properties of their declared types."""

from __future__ import annotations

from pathlib import Path

from journey.loader import load_yaml_text
from journey.validator import check_workspace
from journey.validator.semantic import check_workspace_doc
from journey.workspace import build_workspace
from tests.validator.semantic_support import codes

EVENTS = """events:
  cart_abandoned:
    items: list
    total: number
    placed_at: datetime
    example:
"""


def problems(example: str):  # type: ignore[no-untyped-def]
    return check_workspace_doc(load_yaml_text(EVENTS + example, "workspace.yaml"))


def test_a_fitting_example_passes_and_is_kept_apart_from_the_property_types() -> None:
    text = '      { items: [{ name: Mug }], total: 12.5, placed_at: "2026-03-02T10:00:00Z" }\n'
    assert problems(text) == []
    workspace = build_workspace(Path("."), load_yaml_text(EVENTS + text, "w.yaml").data)
    assert workspace.events == {
        "cart_abandoned": {"items": "list", "total": "number", "placed_at": "datetime"}
    }
    assert workspace.event_examples["cart_abandoned"]["total"] == 12.5


def test_a_wrong_type_is_located_at_the_property() -> None:
    found = problems("      total: '12.50'\n      items: a mug\n")
    assert codes(found) == [("event-example", 7, 7), ("event-example", 8, 7)]
    assert "`total` is declared number but is a string" in found[0].message
    assert "`items` is declared list but is a string" in found[1].message


def test_an_undeclared_property_gets_a_did_you_mean() -> None:
    found = problems("      totl: 3\n")
    assert codes(found) == [("event-example", 7, 7)]
    assert "did you mean `total`?" in found[0].message.lower()


def test_a_naive_datetime_does_not_fit() -> None:
    found = problems("      placed_at: '2026-03-02T10:00:00'\n")
    assert [d.code for d in found] == ["event-example"]


def test_the_whole_workspace_check_reports_it(tmp_path: Path) -> None:
    (tmp_path / "workspace.yaml").write_text(EVENTS + "      total: [12]\n")
    _, found, _ = check_workspace(tmp_path)
    assert [d.code for d in found] == ["event-example"]

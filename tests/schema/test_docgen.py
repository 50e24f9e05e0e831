"""docs/dsl-reference.md is rendered from the schemas and kept up to date."""

from __future__ import annotations

from pathlib import Path

from journey.schema import load_schema
from journey.schema.docgen import main, render_reference

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "dsl-reference.md"


def test_reference_page_is_up_to_date() -> None:
    assert REFERENCE.read_text("utf-8") == render_reference(), (
        "docs/dsl-reference.md is stale: run `python -m journey.schema.docgen`"
    )


def test_every_key_and_definition_is_documented() -> None:
    text = render_reference()
    for name in ("journey", "workspace", "journey-test"):
        schema = load_schema(name)
        for key in schema["properties"]:
            assert f"| `{key}` |" in text, key
        for definition in schema["$defs"].values():
            if "title" in definition:
                assert f"#### {definition['title']}" in text


def test_check_mode_reports_a_stale_page(tmp_path: Path) -> None:
    stale = tmp_path / "ref.md"
    stale.write_text("old\n", "utf-8")
    assert main([str(stale), "--check"]) == 1
    assert main([str(stale)]) == 0
    assert main([str(stale), "--check"]) == 0

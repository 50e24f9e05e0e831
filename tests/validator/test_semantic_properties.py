"""`entry.*`/`event.*` properties are checked against the events' declarations,
in expressions and in templates, each problem at its line."""

from __future__ import annotations

from pathlib import Path

from journey.errors import Diagnostic
from journey.validator import check_workspace, validate_files
from tests.support.cart_workspace import BODY, JOURNEY, write_cart_workspace


def validate(root: Path, journey: Path) -> list[Diagnostic]:
    workspace, problems, _ = check_workspace(root)
    assert problems == []
    return validate_files([journey], workspace).diagnostics


def found(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int]]:
    return [(d.code, Path(d.location.path).name, d.location.line) for d in diagnostics]


def with_steps(root: Path, steps: str) -> Path:
    journey = write_cart_workspace(root)
    journey.write_text(JOURNEY + steps, encoding="utf-8")
    return journey


def test_the_cart_journey_as_written_passes(tmp_path: Path) -> None:
    assert validate(tmp_path, write_cart_workspace(tmp_path)) == []


def test_an_undeclared_entry_property_in_a_branch_gets_a_did_you_mean(tmp_path: Path) -> None:
    journey = with_steps(
        tmp_path,
        "  - id: pick\n    branch:\n      - if: entry.properties.totl > 50\n        goto: end\n",
    )
    (problem,) = validate(tmp_path, journey)
    assert found([problem]) == [("unknown-property", "cart.yaml", 13)]
    assert "`cart_abandoned` declares no property `totl`" in problem.message
    assert problem.hint is not None and "Did you mean `total`?" in problem.hint


def test_a_property_compared_with_a_value_of_another_type(tmp_path: Path) -> None:
    journey = with_steps(
        tmp_path,
        "  - id: pick\n    branch:\n      - if: entry.properties.total >= '50'\n"
        "        goto: end\n",
    )
    (problem,) = validate(tmp_path, journey)
    assert problem.code == "property-type"
    assert "declared number but is compared with a string" in problem.message


def test_event_properties_are_those_of_the_event_the_wait_matches(tmp_path: Path) -> None:
    journey = with_steps(
        tmp_path,
        "  - id: wait\n    wait_for:\n      event: order_placed\n      timeout: 1d\n"
        "      where: event.properties.items and event.properties.total > 3\n",
    )
    (problem,) = validate(tmp_path, journey)
    assert found([problem]) == [("unknown-property", "cart.yaml", 15)]
    assert "event `order_placed` declares no property `items`" in problem.message


def test_a_misspelt_entry_key(tmp_path: Path) -> None:
    journey = with_steps(
        tmp_path, "  - id: pick\n    branch:\n      - if: entry.propertis\n        goto: end\n"
    )
    (problem,) = validate(tmp_path, journey)
    assert problem.code == "unknown-property"
    assert problem.hint is not None and "`properties`" in problem.hint


def test_an_undeclared_entry_property_in_a_template_is_located_in_it(tmp_path: Path) -> None:
    journey = write_cart_workspace(tmp_path, body=BODY + "{{ entry.properties.coupon_code }}\n")
    (problem,) = validate(tmp_path, journey)
    assert found([problem]) == [("unknown-property", "body.txt", 5)]
    assert "coupon_code" in problem.message


def test_entry_properties_of_a_journey_not_entered_by_an_event(tmp_path: Path) -> None:
    journey = write_cart_workspace(tmp_path)
    text = JOURNEY.replace("trigger: { event: cart_abandoned }", "trigger: { segment: 'true' }")
    journey.write_text(
        text + "  - id: pick\n    branch:\n      - if: entry.properties.total\n        goto: end\n"
    )
    codes = [d.code for d in validate(tmp_path, journey)]
    assert "unknown-property" in codes

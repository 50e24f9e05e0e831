"""A marketer previews a message built from the event that enrolled the contact."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli
from tests.support.cart_workspace import write_cart_workspace

CONTACT = json.dumps({"id": "c-7", "email": "jonas@example.com", "locale": "de"})


def preview(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli,
        [
            "--workspace",
            str(root),
            "preview",
            str(root / "journeys" / "cart.yaml"),
            "--step",
            "remind",
            "--contact",
            CONTACT,
            *args,
        ],
    )
    return result.exit_code, result.stdout, result.stderr


def test_without_an_event_the_preview_uses_the_declared_example(tmp_path: Path) -> None:
    write_cart_workspace(tmp_path)
    code, out, err = preview(tmp_path, "--at", "2026-03-02T10:00:00Z")
    assert code == 0, err
    assert "Entry:     cart_abandoned, the example in workspace.yaml" in out
    assert "2 × Espresso beans" in out and "1 × Grinder" in out
    assert "64,50\u00a0€" in out
    assert "Gespeichert am 2. März 2026." in out  # entry.timestamp is --at for an example


def test_the_event_given_is_the_entry_and_its_timestamp_is_entry_timestamp(
    tmp_path: Path,
) -> None:
    write_cart_workspace(tmp_path)
    event = {
        "timestamp": "2026-01-15T08:00:00+01:00",
        "properties": {"items": [{"name": "Mug", "quantity": 3}], "total": 30, "currency": "EUR"},
    }
    code, out, err = preview(tmp_path, "--event", json.dumps(event), "--at", "2026-03-02T10:00Z")
    assert code == 0, err
    assert "3 × Mug" in out and "Espresso" not in out
    assert "Gespeichert am 15. Januar 2026." in out
    assert "(from --event)" in out


def test_an_event_file_works_like_inline_json(tmp_path: Path) -> None:
    write_cart_workspace(tmp_path)
    file = tmp_path / "cart.json"
    file.write_text(json.dumps({"properties": {"items": [], "total": 0, "currency": "EUR"}}))
    code, out, err = preview(tmp_path, "--event", str(file))
    assert code == 0, err
    assert "0,00\u00a0€" in out


def test_an_event_that_does_not_fit_the_declaration_is_refused(tmp_path: Path) -> None:
    write_cart_workspace(tmp_path)
    wrong = {"properties": {"items": [], "total": "ten", "coupon_cod": "X"}}
    code, out, err = preview(tmp_path, "--event", json.dumps(wrong))
    assert code == 2 and out == ""
    assert "`total` is declared number but is a string" in err
    assert "`coupon_cod` is not a declared property" in err
    assert "Traceback" not in err


def test_an_event_of_another_name_is_refused(tmp_path: Path) -> None:
    write_cart_workspace(tmp_path)
    code, _, err = preview(tmp_path, "--event", '{"name": "order_placed"}')
    assert code == 2
    assert "entered by `cart_abandoned`" in err


def test_an_event_that_is_not_json_is_a_clear_error(tmp_path: Path) -> None:
    write_cart_workspace(tmp_path)
    code, _, err = preview(tmp_path, "--event", "{not json")
    assert code == 2
    assert "--event is not valid JSON" in err

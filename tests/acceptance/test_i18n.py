"""Translators' workflow: extract the .pot, then check coverage in CI."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from journey.cli.main import cli

DATA = Path(__file__).resolve().parents[1] / "renderer" / "data"

JOURNEY = """\
id: trial-welcome
name: Trial welcome
kind: onboarding
locales: [en, sv, zh_Hans]
trigger: { event: signed_up }
steps:
  - id: welcome
    send: { channel: email, template: welcome }
  - id: points
    send: { channel: push, template: points }
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "templates").mkdir()
    for name in ("layouts", "welcome", "points"):
        shutil.copytree(DATA / "templates" / name, tmp_path / "templates" / name)
    shutil.copytree(DATA / "locales", tmp_path / "locales")
    (tmp_path / "journeys").mkdir()
    (tmp_path / "journeys" / "trial.yaml").write_text(JOURNEY)
    return tmp_path


def run(workspace: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(workspace), *args], standalone_mode=False)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    code = result.return_value if isinstance(result.return_value, int) else result.exit_code
    return code, result.stdout + result.stderr


def test_extract_writes_a_pot_with_every_string_and_its_place(workspace: Path) -> None:
    code, out = run(workspace, "i18n", "extract")
    assert code == 0
    pot = read_po(io.BytesIO((workspace / "locales" / "messages.pot").read_bytes()))
    ids = {message.id for message in pot if message.id}
    assert ids == {
        "Welcome, %(name)s!",
        "Your trial has started",
        "Unsubscribe",
        ("Your trial ends in %(count)s day.", "Your trial ends in %(count)s days."),
        ("You have %(count)s point.", "You have %(count)s points."),
    }
    unsubscribe = pot.get("Unsubscribe")
    assert unsubscribe is not None
    assert unsubscribe.locations == [("templates/layouts/email.html", 5)]
    assert "5 messages" in out


def test_check_passes_when_every_listed_locale_is_complete(workspace: Path) -> None:
    code, out = run(workspace, "i18n", "check")
    assert code == 0, out
    assert "sv" in out and "5/5" in out


def test_check_fails_on_an_untranslated_string_and_names_where_it_is(workspace: Path) -> None:
    po = workspace / "locales" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "退订"', 'msgstr ""'), "utf-8")
    code, out = run(workspace, "i18n", "check", "--format", "json")
    assert code == 1
    report = json.loads(out)
    rows = {row["locale"]: row for row in report["locales"]}
    assert (rows["sv"]["translated"], rows["sv"]["total"]) == (5, 5)
    assert (rows["zh_Hans"]["translated"], rows["zh_Hans"]["total"]) == (4, 5)
    assert rows["zh_Hans"]["missing"][0]["text"] == "Unsubscribe"
    (problem,) = report["problems"]
    assert problem["code"] == "missing-translation"
    assert problem["path"].endswith("layouts/email.html") and problem["line"] == 5


def test_check_fails_when_a_listed_locale_has_no_catalog(workspace: Path) -> None:
    shutil.rmtree(workspace / "locales" / "sv")
    code, out = run(workspace, "i18n", "check")
    assert code == 1
    assert "missing-catalog" in out


def test_validate_reports_the_same_gap(workspace: Path) -> None:
    po = workspace / "locales" / "sv" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgid "Unsubscribe"', '#, fuzzy\nmsgid "Unsubscribe"'), "utf-8")
    code, out = run(workspace, "validate")
    assert code == 1
    assert "email.html:5:1: error missing-translation" in out

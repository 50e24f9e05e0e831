"""A marketer previews a send step for a contact before merging the journey."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from babel import numbers
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
  - id: pause
    wait: 1d
  - id: points
    send: { channel: push, template: points }
"""

CONTACT = {
    "id": "c-1042",
    "email": "astrid@example.com",
    "locale": "sv-SE",
    "timezone": "Europe/Stockholm",
    "first_name": "Astrid",
    "trial_days": 3,
    "credit": 499,
    "currency": "SEK",
    "points": 2,
}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    shutil.copytree(DATA / "templates", tmp_path / "templates")
    shutil.copytree(DATA / "locales", tmp_path / "locales")
    (tmp_path / "workspace.yaml").write_text("default_locale: en\n")
    (tmp_path / "journeys").mkdir()
    (tmp_path / "journeys" / "trial.yaml").write_text(JOURNEY)
    return tmp_path


def preview(workspace: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli,
        [
            "--workspace",
            str(workspace),
            "preview",
            str(workspace / "journeys" / "trial.yaml"),
            *args,
        ],
        standalone_mode=False,
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        from journey.errors import JourneyError

        assert isinstance(result.exception, JourneyError), result.exception
        return 2, result.stdout, str(result.exception)
    code = result.return_value if isinstance(result.return_value, int) else result.exit_code
    return code, result.stdout, result.stderr


def test_preview_prints_what_would_be_sent_in_the_contacts_locale(workspace: Path) -> None:
    code, out, _ = preview(
        workspace,
        "--step",
        "welcome",
        "--contact",
        json.dumps(CONTACT),
        "--at",
        "2026-03-29T01:30:00Z",
    )
    assert code == 0
    assert "To:        astrid@example.com" in out
    assert "Subject:   Välkommen, Astrid!" in out
    assert "Preheader: Din provperiod har börjat" in out
    assert "Locale:    sv (formatting sv_SE, time zone Europe/Stockholm)" in out
    assert "Din provperiod slutar om 3 dagar." in out
    assert "2026-03-29 03:30" in out  # after the spring-forward, Stockholm local time
    assert numbers.format_currency(499, "SEK", locale="sv_SE") in out  # as Babel writes it


def test_preview_locale_override_and_html_file(workspace: Path, tmp_path: Path) -> None:
    html = tmp_path / "out.html"
    code, out, _ = preview(
        workspace,
        "--step", "welcome",
        "--contact", json.dumps(CONTACT),
        "--locale", "zh_CN",
        "--at", "2026-03-29T01:30:00+00:00",
        "--html", str(html),
    )  # fmt: skip
    assert code == 0
    assert "Subject:   欢迎，Astrid！" in out
    assert '<html lang="zh-Hans">' in html.read_text(encoding="utf-8")


def test_preview_reads_the_contact_from_a_file(workspace: Path, tmp_path: Path) -> None:
    contact_file = tmp_path / "contact.json"
    contact_file.write_text(json.dumps({**CONTACT, "locale": "en_GB"}))
    code, out, _ = preview(workspace, "--step", "points", "--contact", str(contact_file))
    assert code == 0
    assert "You have 2 points." in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--step", "nope", "--contact", "{}"], "--contact"),
        (["--step", "nope", "--contact", json.dumps(CONTACT)], "has no step 'nope'"),
        (["--step", "pause", "--contact", json.dumps(CONTACT)], "is a wait step"),
        (["--step", "welcome", "--contact", "{not json"], "not valid JSON"),
        (["--step", "welcome", "--contact", "missing.json"], "neither a JSON object nor a file"),
        (
            ["--step", "welcome", "--contact", json.dumps(CONTACT), "--at", "2026-03-29T01:30"],
            "no time zone",
        ),
    ],
)
def test_bad_input_is_a_clear_usage_error(workspace: Path, args: list[str], message: str) -> None:
    code, _, err = preview(workspace, *args)
    assert code == 2
    assert message in err


def test_render_failure_exits_1_with_the_template_line(workspace: Path) -> None:
    contact = {key: value for key, value in CONTACT.items() if key != "currency"}
    code, _, err = preview(workspace, "--step", "welcome", "--contact", json.dumps(contact))
    assert code == 1
    assert "welcome/body.html:6:" in err
    assert "'contact'" in err and "'currency'" in err and "ContactView" not in err


def test_invalid_journey_prints_diagnostics_and_exits_1(workspace: Path) -> None:
    (workspace / "templates" / "welcome" / "body.txt").unlink()
    code, _, err = preview(workspace, "--step", "welcome", "--contact", json.dumps(CONTACT))
    assert code == 1
    assert "missing-template-part" in err

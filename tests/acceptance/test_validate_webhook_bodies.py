"""`journey validate` reads a webhook's body as the call will render it: what would fail at
call time is an error before merge, at the string's line and column in the journey file."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli

WORKSPACE = """\
channels:
  crm: { kind: outbox, message: webhook }
contact_attributes: { first_name: string, plan: string }
events:
  signed_up: { plan: string, source: string }
"""
JOURNEY = """\
id: tell-crm
name: Tell the CRM
kind: onboarding
trigger: { event: signed_up }
steps:
  - id: tell
    webhook:
      channel: crm
      path: /signups
      body:
BODY
"""
FINE = """\
        contact: "{{ contact.id }}"
        name: "{{ contact.first_name | default('there') }}"
        plan: "{{ entry.properties.plan }}"
        journey: ["{{ journey.id }}", "{{ now.isoformat() }}"]
        static: { points: 500, note: "no template here" }
"""


def validate(root: Path, body: str) -> tuple[int, list[dict[str, object]]]:
    (root / "workspace.yaml").write_text(WORKSPACE)
    path = root / "journeys" / "tell-crm.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(JOURNEY.replace("BODY\n", body))
    result = CliRunner().invoke(
        cli, ["--workspace", str(root), "validate", str(path), "--format", "json"]
    )
    assert "Traceback" not in result.output and "internal error" not in result.output
    diagnostics: list[dict[str, object]] = json.loads(result.output)
    return result.exit_code, diagnostics


def found(diagnostics: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    return [(d["code"], d["line"], d["col"]) for d in diagnostics]


def test_a_body_with_what_the_call_is_given_is_clean(tmp_path: Path) -> None:
    assert validate(tmp_path, FINE) == (0, [])


def test_each_string_that_would_fail_at_call_time_is_an_error_at_its_value(
    tmp_path: Path,
) -> None:
    body = """\
        contact: "{{ contact.id "
        score: "{{ contact.id | nofilter }}"
        link: "{{ unsubscribe_url }}"
        plan: "{{ entry.properties.plann }}"
        nested: { who: ["{{ contact.first_nme }}"] }
"""
    code, diagnostics = validate(tmp_path, body)
    assert code == 1
    assert found(diagnostics) == [
        ("template-syntax", 11, 18),
        ("unknown-template-filter", 12, 16),
        ("unknown-template-variable", 13, 15),
        ("unknown-property", 14, 15),
        ("unknown-template-variable", 15, 25),
    ]
    by_code = {d["code"]: d for d in diagnostics}
    assert by_code["unknown-template-filter"]["hint"]
    assert "`unsubscribe_url` is not available to a webhook body" in str(diagnostics[2]["message"])
    assert "contact, entry, events, journey and now" in str(diagnostics[2]["hint"])
    assert "did you mean `plan`" in str(diagnostics[3]["hint"]).lower()
    assert "`contact.first_nme`" in str(diagnostics[4]["message"])
    assert "first_name" in str(diagnostics[4]["hint"])

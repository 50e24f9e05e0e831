"""A survey answered without a comment is still an answer: a property the workspace
declares for an event that one event lacks reads as absent — false, not defined,
printed as nothing, none as a value — in `journey test`, `journey preview` and what
`journey run` sends. A property nobody declared is still an error, reported by
`journey validate`."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner

from journey.cli.main import cli
from journey.event_properties import AbsentProperty, EventProperties, readable_properties

WORKSPACE = """\
default_locale: en
events:
  order_delivered: { order_id: string }
  survey_completed:
    score: number
    reason: string
    example: { score: 9, reason: Fresh beans }
"""

JOURNEY = """\
id: nps
name: How did we do?
kind: loyalty
trigger: { event: order_delivered }
steps:
  - id: answer
    wait_for: { event: survey_completed, timeout: 7d, on_timeout: end, as: survey }
  - id: by-reason
    branch:
      - if: events.survey.properties.reason
        goto: quote
      - else: thanks
  - id: quote
    send: { channel: email, template: nps/quote }
    next: remember
  - id: thanks
    send: { channel: email, template: nps/thanks }
  - id: remember
    update:
      nps_comment: { expr: "events.survey.properties.reason or 'no comment'" }
  - id: tell
    send: { channel: email, template: nps/remembered }
"""

TEMPLATES = {
    "quote": "You wrote: {{ events.survey.properties.reason }}\n",
    "thanks": "Thanks for the {{ events.survey.properties.score }}"
    "{% if events.survey.properties.reason %}, and for: {{ events.survey.properties.reason }}"
    "{% endif %}. Order {{ entry.properties.order_id | default('unknown') }}"
    "{% if entry.properties.order_id is defined %} (defined){% endif %}.\n",
    "remembered": "We noted: {{ contact.nps_comment }}\n",
}

TEST = """\
journey: nps
cases:
  - name: an answer with a comment is quoted
    start: 2026-04-06T08:00:00Z
    contact: { id: c1, email: a@example.com, consent: { email: true } }
    events:
      - { after: 0s, name: order_delivered, properties: { order_id: FK-1 } }
      - { after: 1d, name: survey_completed, properties: { score: 4, reason: Bitter } }
    expect:
      - { send: quote, text_contains: "You wrote: Bitter" }
      - { send: tell, text_contains: "We noted: Bitter" }
      - { exit: completed }
  - name: an answer without a comment, to a delivery without an order id, is thanked
    start: 2026-04-06T08:00:00Z
    contact: { id: c2, email: b@example.com, consent: { email: true } }
    events:
      - { after: 0s, name: order_delivered, properties: {} }
      - { after: 1d, name: survey_completed, properties: { score: 10 } }
    expect:
      - { send: thanks, text_contains: "Thanks for the 10. Order unknown." }
      - { send: tell, text_contains: "We noted: no comment" }
      - { exit: completed }
"""


def write_workspace(root: Path) -> None:
    (root / "workspace.yaml").write_text(WORKSPACE)
    (root / "journeys").mkdir()
    (root / "journeys" / "nps.yaml").write_text(JOURNEY)
    (root / "journeys" / "nps.test.yaml").write_text(TEST)
    for name, body in TEMPLATES.items():
        folder = root / "templates" / "nps" / name
        folder.mkdir(parents=True)
        (folder / "subject.txt").write_text("How did we do?\n")
        (folder / "body.txt").write_text(body)
        (folder / "body.html").write_text(f"<p>{body.strip()}</p>\n")


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_answers_with_and_without_the_optional_comment_both_go_through(tmp_path: Path) -> None:
    write_workspace(tmp_path)
    code, out, err = run(tmp_path, "validate", "--strict")
    assert code == 0, out + err
    code, out, err = run(tmp_path, "test")
    assert code == 0, out + err
    assert "2 passed, 0 failed" in out


def test_a_preview_of_an_answer_without_a_comment(tmp_path: Path) -> None:
    write_workspace(tmp_path)
    journey = str(tmp_path / "journeys" / "nps.yaml")
    contact = json.dumps({"id": "c2", "email": "b@example.com"})
    answer = json.dumps({"properties": {"score": 8}})
    code, out, err = run(
        tmp_path, "preview", journey, "--step", "thanks", "--contact", contact,
        "--event", f"survey={answer}",
    )  # fmt: skip
    assert code == 0, err
    assert "Thanks for the 8." in out and "and for" not in out


def test_a_property_nobody_declared_is_still_an_error_before_merge(tmp_path: Path) -> None:
    write_workspace(tmp_path)
    (tmp_path / "templates" / "nps" / "quote" / "body.txt").write_text(
        "You wrote: {{ events.survey.properties.reasn }}\n"
    )
    code, out, _ = run(tmp_path, "validate")
    assert code == 1
    assert "templates/nps/quote/body.txt:1:1: error unknown-property" in out


def test_declared_properties_read_as_absent_and_the_event_keeps_its_shape() -> None:
    properties = readable_properties(
        "survey_completed", {"score": 3}, {"survey_completed": frozenset({"score", "reason"})}
    )
    assert isinstance(properties["reason"], AbsentProperty) and not properties["reason"]
    assert str(properties["reason"]) == ""
    assert "reason" not in properties  # the event did not carry it
    assert json.dumps(properties) == '{"score": 3}'
    with pytest.raises(KeyError):
        properties["reasn"]  # an undeclared name stays missing
    assert pickle.loads(pickle.dumps(properties)) == properties
    assert isinstance(pickle.loads(pickle.dumps(properties)), EventProperties)


def test_an_expression_reading_an_absent_property_gives_none() -> None:
    from journey.expressions import compile_expression

    properties = readable_properties("s", {}, {"s": frozenset({"reason"})})
    event = {"name": "s", "properties": properties}
    assert compile_expression("event.properties.reason").evaluate({"event": event}) is None
    assert (
        compile_expression("event.properties.reason is defined").evaluate({"event": event}) is False
    )
    assert compile_expression("event.properties.reason or 'x'").evaluate({"event": event}) == "x"


def test_events_of_a_type_with_every_property_or_no_declaration_are_given_unchanged() -> None:
    complete = {"score": 3, "reason": "x"}
    declared = {"survey_completed": frozenset({"score", "reason"})}
    assert readable_properties("survey_completed", complete, declared) is complete
    other = {"total": 5}
    assert readable_properties("order_placed", other, declared) is other

"""Plain yes/no/on/off: a boolean where only a boolean fits, a question where text fits."""

from __future__ import annotations

import pytest

from journey.loader import load_yaml_text
from journey.validator.yaml_values import normalise_bool_words

HEAD = "id: j-1\nname: J\nkind: loyalty\ntrigger: { event: a }\n"


def _run(text: str, schema: str = "journey", declared: dict[str, str] | None = None):
    doc = load_yaml_text(text, "f.yaml")
    return doc, normalise_bool_words(doc, schema, declared)


@pytest.mark.parametrize(
    ("line", "path", "expected"),
    [
        ("frequency_cap: off", ("frequency_cap",), False),
        ("quiet_hours: off", ("quiet_hours",), False),
        ("goal: { event: a, within: 1d, exit: no }", ("goal", "exit"), False),
        ("trigger: { segment: x, include_existing: yes }", ("trigger", "include_existing"), True),
    ],
)
def test_word_becomes_boolean_where_only_a_boolean_fits(
    line: str, path: tuple[str, ...], expected: bool
) -> None:
    text = "id: j-1\nname: J\nkind: loyalty\n" + line + "\n"
    if not line.startswith("trigger"):
        text += "trigger: { event: a }\n"
    doc, found = _run(text)
    assert found == []
    value = doc.data
    for part in path:
        value = value[part]
    assert value is expected


def test_update_value_is_ambiguous_unless_declared_boolean() -> None:
    text = HEAD + "steps:\n  - id: u1\n    update: { vip: yes, country: no }\n"
    doc, found = _run(text, declared={"vip": "boolean", "country": "string"})
    assert [(d.code, d.location.line, d.location.col) for d in found] == [
        ("ambiguous-yaml-value", 7, 34)
    ]
    assert doc.data["steps"][0]["update"]["vip"] is True
    assert doc.data["steps"][0]["update"]["country"] == "no"
    assert 'write "no" in quotes' in (found[0].hint or "")


def test_webhook_body_word_is_ambiguous() -> None:
    step = "    webhook: { url: 'https://x.example', body: { ok: on } }\n"
    text = HEAD + "steps:\n  - id: h1\n" + step
    _, found = _run(text)
    assert [d.code for d in found] == ["ambiguous-yaml-value"]


def test_word_that_is_not_an_allowed_choice_is_left_to_the_schema_pass() -> None:
    doc, found = _run(HEAD + "frequency_cap: { max: 1, per: 1d, on_cap: off }\n")
    assert found == []
    assert doc.data["frequency_cap"]["on_cap"] == "off"


def test_test_contact_consent_is_boolean_and_free_attribute_is_ambiguous() -> None:
    text = (
        "journey: j-1\ncases:\n  - name: a\n    start: 2026-01-01T00:00:00Z\n"
        "    contact: { id: c1, consent: { email: y }, newsletter: n }\n"
        "    events: [{ after: 0s, name: a, properties: { gift: yes } }]\n"
        "    expect: [{ exit: completed }]\n"
    )
    doc, found = _run(text, "journey-test")
    assert doc.data["cases"][0]["contact"]["consent"]["email"] is True
    assert [(d.location.line, d.location.col) for d in found] == [(5, 59), (6, 56)]


def test_workspace_channel_flag_becomes_boolean() -> None:
    doc, found = _run(
        "channels:\n  mail: { kind: smtp, host: h, from: a@b.c, starttls: yes }\n", "workspace"
    )
    assert found == []
    assert doc.data["channels"]["mail"]["starttls"] is True

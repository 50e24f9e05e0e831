"""The schema pass: valid files pass; each broken snippet gives one precise, located problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from journey.errors import Diagnostic
from journey.loader import load_yaml, load_yaml_text
from journey.validator.schema_pass import check_schema
from journey.validator.yaml_values import normalise_bool_words
from tests.schema.samples import JOURNEY_TEST, KITCHEN_SINK, OTHER_TRIGGERS, WORKSPACE

ROOT = Path(__file__).resolve().parents[2]


def run(text: str, schema: str = "journey", declared: dict[str, str] | None = None):
    doc = load_yaml_text(text, "file.yaml")
    assert not doc.diagnostics, doc.diagnostics
    found = normalise_bool_words(doc, schema, declared) + check_schema(doc, schema)
    return doc, found


def brief(found: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return [(d.code, d.location.line, d.location.col) for d in found]


# ----------------------------------------------------------------------- valid files


def test_kitchen_sink_journey_using_every_key_is_valid() -> None:
    doc, found = run(KITCHEN_SINK)
    assert found == []
    assert doc.data["goal"]["exit"] is False  # `exit: no` read as a boolean
    assert doc.data["steps"][2]["wait_until"]["time"] == "9:30"  # never base-60 570


@pytest.mark.parametrize("trigger", OTHER_TRIGGERS)
def test_every_trigger_kind_is_valid(trigger: str) -> None:
    text = f"id: j-1\nname: J\nkind: loyalty\n{trigger}\nsteps:\n  - {{ id: w1, wait: 1d }}\n"
    doc, found = run(text)
    assert found == []
    if "include_existing" in trigger:
        assert doc.data["trigger"]["include_existing"] is True


def test_full_workspace_is_valid_and_flags_become_booleans() -> None:
    doc, found = run(WORKSPACE, "workspace")
    assert found == []
    assert doc.data["frequency_cap"] is False
    assert doc.data["channels"]["email"]["starttls"] is True
    assert doc.data["channels"]["sms"]["fsync"] is False


def test_full_journey_test_file_is_valid_with_declared_boolean_attribute() -> None:
    doc, found = run(JOURNEY_TEST, "journey-test", {"vip": "boolean"})
    assert found == []
    contact = doc.data["cases"][0]["contact"]
    assert contact["consent"] == {"email": True, "sms": False}
    assert contact["vip"] is True


def test_example_journeys_and_corpus_workspace_pass() -> None:
    files = sorted((ROOT / "journeys").rglob("*.yaml"))
    assert files, "the example journeys are missing"
    for path in files:
        schema = "journey-test" if path.name.endswith(".test.yaml") else "journey"
        doc = load_yaml(path)
        found = normalise_bool_words(doc, schema) + check_schema(doc, schema)
        assert [d for d in found if d.code != "ambiguous-yaml-value"] == [], path
    workspace = load_yaml(ROOT / "tests/data/workspace/workspace.yaml")
    assert check_schema(workspace, "workspace") == []


# ------------------------------------------------------------------ broken snippets

HEAD = "id: j-1\nname: J\nkind: onboarding\ntrigger: { event: signed_up }\n"
STEPS = HEAD + "steps:\n"

BROKEN = [
    # (snippet, schema, code, line, col, words the message or hint must contain)
    (
        STEPS + "  - id: w1\n    wait_for: { event: x, timout: 3d }\n",
        "journey",
        [("unknown-key", 7, 27)],
        "did you mean `timeout`?",
    ),
    (
        HEAD + "tigger: x\nsteps: [{ id: w1, wait: 1d }]\n",
        "journey",
        [("unknown-key", 5, 1)],
        "did you mean `trigger`?",
    ),
    (STEPS + "  - wait: 1d\n", "journey", [("missing-key", 6, 5)], "missing `id`"),
    (
        "id: j-1\nname: J\nkind: onboard\ntrigger: { event: a }\nsteps: [{id: w1, wait: 1d}]\n",
        "journey",
        [("invalid-value", 3, 1)],
        "did you mean `onboarding`?",
    ),
    (
        STEPS + "  - id: w1\n    wait: 2 days\n",
        "journey",
        [("invalid-duration", 7, 5)],
        "largest unit first",
    ),
    (STEPS + "  - id: w1\n    wait: 3\n", "journey", [("invalid-duration", 7, 5)], "the number 3"),
    (STEPS + "  - id: w1\n    wait: -1d\n", "journey", [("invalid-duration", 7, 5)], "negative"),
    (
        STEPS + "  - id: w1\n    wait_until: { time: '25:00' }\n",
        "journey",
        [("invalid-time", 7, 19)],
        "HH:MM",
    ),
    (
        STEPS + "  - id: w1\n    send: { channel: email, template: a/b }\n    wait: 1d\n",
        "journey",
        [("step-action", 8, 5)],
        "`send` and `wait`",
    ),
    (STEPS + "  - id: w1\n    next: end\n", "journey", [("step-action", 6, 5)], "no action"),
    (
        "id: j-1\nname: J\nkind: referral\ntrigger: { event: a, segment: b }\n"
        "steps: [{id: w1, wait: 1d}]\n",
        "journey",
        [("trigger-kind", 4, 22)],
        "`event` and `segment`",
    ),
    (
        "id: j-1\nname: J\nkind: referral\ntrigger: { }\nsteps: [{id: w1, wait: 1d}]\n",
        "journey",
        [("trigger-kind", 4, 1)],
        "no kind",
    ),
    (
        "id: j-1\nname: J\nkind: referral\ntrigger: { segment: a, where: b }\n"
        "steps: [{id: w1, wait: 1d}]\n",
        "journey",
        [("unknown-key", 4, 24)],
        "`event`",
    ),
    (
        STEPS + "  - id: s1\n    split:\n      - { weight: 120, goto: a1 }\n",
        "journey",
        [("invalid-value", 8, 11)],
        "from 0 to 100",
    ),
    (
        STEPS + "  - id: s1\n    split:\n      - { weight: 5.5, goto: a1 }\n",
        "journey",
        [("wrong-type", 8, 11)],
        "whole number",
    ),
    (
        "id: j-1\nname: J\nkind: referral\nlocales: [en, no]\ntrigger: { event: a }\n"
        "steps: [{id: w1, wait: 1d}]\n",
        "journey",
        [("ambiguous-yaml-value", 4, 15)],
        'write "no" in quotes',
    ),
    (
        HEAD + "steps: welcome\n",
        "journey",
        [("wrong-type", 5, 1)],
        "should be a list of steps, found text `welcome`",
    ),
    (HEAD + "steps: []\n", "journey", [("empty-steps", 5, 1)], "empty"),
    (
        STEPS + "  - id: end\n    wait: 1d\n",
        "journey",
        [("reserved-step-id", 6, 5)],
        "built-in target",
    ),
    (
        STEPS + "  - id: e1\n    exit: goal\n",
        "journey",
        [("invalid-exit-reason", 7, 5)],
        "reserved",
    ),
    (
        STEPS + "  - id: b1\n    branch:\n      - if: x\n",
        "journey",
        [("missing-key", 8, 9)],
        "missing `goto`",
    ),
    (
        STEPS + "  - id: b1\n    branch:\n      - else: a1\n      - else: b2\n",
        "journey",
        [("invalid-value", 7, 5)],
        "more than one `else`",
    ),
    (
        STEPS + "  - id: h1\n    webhook: { channel: crm, url: 'https://x.example' }\n",
        "journey",
        [("invalid-value", 7, 30)],
        "`channel` and `url`",
    ),
    (
        STEPS + "  - id: u1\n    update: { points: { exp: '1' } }\n",
        "journey",
        [("unknown-key", 7, 25)],
        "did you mean `expr`?",
    ),
    (
        STEPS + "  - id: w1\n    wait_until: { time: '09:00', days: [mon, monday] }\n",
        "journey",
        [("invalid-value", 7, 46)],
        "did you mean `mon`?",
    ),
    (
        STEPS + "  - id: w1\n    wait_until: { time: '09:00', days: [mon, mon] }\n",
        "journey",
        [("invalid-value", 7, 34)],
        "`mon` twice",
    ),
    (
        HEAD + "reentry: sometimes\nsteps: [{id: w1, wait: 1d}]\n",
        "journey",
        [("invalid-duration", 5, 1)],
        "`never`, `always` or a duration",
    ),
    (
        HEAD + "quiet_hours: { start: '21:00' }\nsteps: [{id: w1, wait: 1d}]\n",
        "journey",
        [("missing-key", 5, 1)],
        "missing `end`",
    ),
    (
        HEAD + "quiet_hours: on\nsteps: [{id: w1, wait: 1d}]\n",
        "journey",
        [("wrong-type", 5, 1)],
        "`false` or",
    ),
    (
        HEAD + "frequency_cap: { max: 3, per: 7d, on_cap: off }\nsteps: [{id: w1, wait: 1d}]\n",
        "journey",
        [("invalid-value", 5, 35)],
        "`skip` or `defer`",
    ),
    (
        HEAD + "goal: { event: a, within: 2d, exit: maybe }\nsteps: [{id: w1, wait: 1d}]\n",
        "journey",
        [("wrong-type", 5, 31)],
        "true or false",
    ),
    (
        "channels:\n  crm: { kind: webhok, url: 'https://x' }\n",
        "workspace",
        [("invalid-value", 2, 10)],
        "did you mean `webhook`?",
    ),
    (
        "channels:\n  crm: { url: 'https://x' }\n",
        "workspace",
        [("missing-key", 2, 3)],
        "missing `kind`",
    ),
    (
        "channels:\n  mail: { kind: smtp, host: h, from: a@b.c, pasword: x }\n",
        "workspace",
        [("unknown-key", 2, 45)],
        "did you mean `password`?",
    ),
    (
        "channels:\n  sms: { kind: outbox, rate_limit: 5/sec }\n",
        "workspace",
        [("invalid-value", 2, 24)],
        "50/s",
    ),
    (
        "contact_attributes: { vip: bool }\n",
        "workspace",
        [("invalid-value", 1, 23)],
        "did you mean `boolean`?",
    ),
    ("default_locale: no\n", "workspace", [("ambiguous-yaml-value", 1, 17)], "in quotes"),
    (
        "journey: j-1\ncases:\n  - name: a\n    start: 2026-03-27T08:00:00Z\n"
        "    contact: { id: 42 }\n    expect: [{ exit: completed }]\n",
        "journey-test",
        [("wrong-type", 5, 16)],
        "found the number 42",
    ),
    (
        "journey: j-1\ncases:\n  - name: a\n    start: 2026-03-27 08:00\n"
        "    contact: { id: c1 }\n    expect: [{ exit: completed }]\n",
        "journey-test",
        [("invalid-value", 4, 5)],
        "with its offset",
    ),
    (
        "journey: j-1\ncases:\n  - name: a\n    start: 2026-03-27T08:00:00Z\n"
        "    contact: { id: c1, country: no }\n    expect: [{ send: w1, exit: completed }]\n",
        "journey-test",
        [("ambiguous-yaml-value", 5, 33), ("invalid-value", 6, 26)],
        "`send` and `exit`",
    ),
    (
        "journey: j-1\ncases:\n  - name: a\n    start: 2026-03-27T08:00:00Z\n"
        "    contact: { id: c1 }\n    events: [{ after: 1d }]\n    expect: [{ exit: goal }]\n",
        "journey-test",
        [("missing-key", 6, 14)],
        "`name` or `contact`",
    ),
]


@pytest.mark.parametrize(("text", "schema", "expected", "words"), BROKEN)
def test_broken_snippet_gives_one_located_problem(
    text: str, schema: str, expected: list[tuple[str, int, int]], words: str
) -> None:
    _, found = run(text, schema)
    assert brief(found) == expected, [f"{d.message} | {d.hint}" for d in found]
    said = " ".join(f"{d.message} {d.hint or ''}" for d in found)
    assert words in said


JARGON = re.compile(
    r"is not valid under|valid under each|is not of type|is a required property|"
    r"does not match|additional properties|instance|schema|oneOf|anyOf|\$ref",
    re.IGNORECASE,
)


@pytest.mark.parametrize(("text", "schema", "expected", "words"), BROKEN)
def test_messages_are_plain_language(
    text: str, schema: str, expected: list[tuple[str, int, int]], words: str
) -> None:
    _, found = run(text, schema)
    for diagnostic in found:
        assert not JARGON.search(diagnostic.message), diagnostic.message
        assert not JARGON.search(diagnostic.hint or ""), diagnostic.hint
        assert diagnostic.hint, diagnostic


def test_misspelt_required_key_is_reported_once_as_unknown() -> None:
    _, found = run(STEPS + "  - id: w1\n    wait_for: { event: x, timout: 3d }\n")
    assert [d.code for d in found] == ["unknown-key"]  # not also "missing `timeout`"


def test_misspelt_action_is_reported_once_as_unknown() -> None:
    _, found = run(STEPS + "  - id: s1\n    sned: { channel: email, template: a/b }\n")
    assert brief(found) == [("unknown-key", 7, 5)]
    assert found[0].hint == "did you mean `send`?"


def test_all_problems_of_a_file_are_reported_sorted_by_line() -> None:
    text = (
        "id: J\nname: J\nkind: onboard\ntrigger: { event: a }\nsteps:\n"
        "  - id: w1\n    wait: 2x\n  - id: w2\n    wiat: 1d\n"
    )
    _, found = run(text)
    assert [(d.code, d.location.line) for d in found] == [
        ("invalid-value", 1),
        ("invalid-value", 3),
        ("invalid-duration", 7),
        ("unknown-key", 9),
    ]


def test_unknown_key_without_close_match_lists_allowed_keys() -> None:
    _, found = run(HEAD + "colour: blue\nsteps: [{id: w1, wait: 1d}]\n")
    assert found[0].hint is not None and "`trigger`" in found[0].hint


def test_unreadable_document_gives_nothing() -> None:
    doc = load_yaml_text("a: [", "broken.yaml")
    assert doc.data is None
    assert check_schema(doc, "journey") == []


def test_one_compiled_schema_checks_many_journeys_alike() -> None:
    """The validator is built once and reused (its speed is bench.validate's to measure)."""
    docs = [
        load_yaml_text(KITCHEN_SINK.replace("onboarding-welcome", f"j-{i}"), f"{i}.yaml")
        for i in range(50)
    ]
    broken = load_yaml_text(KITCHEN_SINK.replace("steps:", "stepz:", 1), "broken.yaml")
    for doc in docs:
        assert normalise_bool_words(doc, "journey") + check_schema(doc, "journey") == []
    assert check_schema(broken, "journey") != []
    assert all(check_schema(doc, "journey") == [] for doc in docs[:3])

"""Expressions parse, read only known names, and name declared attributes and events."""

from __future__ import annotations

import pytest

from tests.validator.semantic_support import (
    HEADER,
    bare_workspace,
    check,
    codes,
    only,
    with_steps,
)

SEND = "  - id: s\n    send: { channel: email, template: t/x }\n"

# (the journey text with EXPR where the expression goes, whether `event` is in scope there)
SITES = [
    (with_steps(SEND, top="audience: EXPR\n"), False),
    (
        HEADER.replace("{ event: signed_up }", '{ event: signed_up, where: "EXPR" }')
        + "steps:\n"
        + SEND,
        True,
    ),
    (HEADER.replace("{ event: signed_up }", '{ segment: "EXPR" }') + "steps:\n" + SEND, False),
    (with_steps(SEND, top="exit_when:\n  - EXPR\n"), False),
    (with_steps(SEND, top='exit_when:\n  - { event: order_placed, where: "EXPR" }\n'), True),
    (with_steps(SEND, top='goal: { event: order_placed, within: 7d, where: "EXPR" }\n'), True),
    (with_steps("  - id: b\n    branch:\n      - if: EXPR\n        goto: end\n" + SEND), False),
    (
        with_steps(
            '  - id: w\n    wait_for: { event: order_placed, timeout: 1d, where: "EXPR" }\n' + SEND
        ),
        True,
    ),
    (with_steps('  - id: u\n    update: { points: { expr: "EXPR" } }\n' + SEND), False),
]


@pytest.mark.parametrize(("template", "event_scope"), SITES)
def test_every_expression_site_is_parsed(template: str, event_scope: bool) -> None:
    assert check(template.replace("EXPR", "contact.points > 3")) == []
    problem = only(check(template.replace("EXPR", "contact.points >")), "expression-syntax")
    assert "ends too early" in problem.message


@pytest.mark.parametrize(("template", "event_scope"), SITES)
def test_event_is_only_readable_where_an_event_is_matched(template: str, event_scope: bool) -> None:
    found = check(template.replace("EXPR", "event.timestamp < now"))
    assert [d.code for d in found] == ([] if event_scope else ["unknown-name"])


@pytest.mark.parametrize(("template", "event_scope"), SITES)
def test_entry_now_and_the_functions_are_readable_everywhere(
    template: str, event_scope: bool
) -> None:
    expression = (
        "entry.name == 'signed_up' and has_event('order_placed', within='7d')"
        " and event_count('session_started') < 3 and days_since(contact.created_at) > 1"
        " and now.hour > 8"
    )
    assert check(template.replace("EXPR", expression)) == []


def test_an_unknown_name_gets_a_did_you_mean() -> None:
    problem = only(
        check(with_steps(SEND, top="audience: contcat.plan == 'trial'\n")), "unknown-name"
    )
    assert (problem.location.line, problem.location.col) == (5, 1)
    assert (problem.hint or "").startswith("Did you mean `contact`?")


def test_unquoted_text_reads_as_an_unknown_name() -> None:
    problem = only(check(with_steps(SEND, top="audience: contact.plan == trial\n")), "unknown-name")
    assert "`trial`" in problem.message and "quote text" in (problem.hint or "")


def test_a_misspelt_contact_attribute_is_caught_with_the_name_it_meant() -> None:
    problem = only(
        check(with_steps(SEND, top="audience: contact.frist_name is not none\n")),
        "unknown-attribute",
    )
    assert "`frist_name`" in problem.message
    assert (problem.hint or "").startswith("Did you mean `first_name`?")


def test_reserved_contact_keys_need_no_declaration() -> None:
    expression = "contact.email and contact.consent.email and contact.locale == 'sv' and contact.id"
    assert check(with_steps(SEND, top=f"audience: {expression}\n")) == []


def test_attributes_are_not_checked_when_the_workspace_declares_none() -> None:
    text = with_steps(SEND, top="audience: contact.anything_goes\n")
    assert check(text, bare_workspace()) == []


def test_update_keys_are_attributes_too() -> None:
    text = with_steps("  - id: u\n    update: { pionts: 5, tier: gold }\n")
    assert codes(check(text)) == [("unknown-attribute", 7, 15)]


def test_events_in_has_event_must_be_declared() -> None:
    text = with_steps(SEND, top="audience: not has_event('order_plased')\n")
    problem = only(check(text), "unknown-event")
    assert (problem.hint or "").startswith("Did you mean `order_placed`?")
    assert check(text, bare_workspace()) == []  # no `events:` declared: any name goes


def test_outcome_events_are_known_and_a_misspelt_one_is_caught_anyway() -> None:
    assert check(with_steps(SEND, top="audience: has_event('journey.opened')\n")) == []
    text = with_steps(SEND, top="audience: has_event('journey.opend')\n")
    problem = only(check(text, bare_workspace()), "unknown-event")
    assert (problem.hint or "").startswith("Did you mean `journey.opened`?")


def test_a_bad_window_in_has_event_is_an_invalid_duration() -> None:
    text = with_steps(SEND, top="audience: has_event('order_placed', within='1 week')\n")
    assert [d.code for d in check(text)] == ["invalid-duration"]


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        (HEADER.replace("{ event: signed_up }", "{ event: signd_up }") + "steps:\n" + SEND, 4, 12),
        (HEADER.replace("{ event: signed_up }", "signd_up") + "steps:\n" + SEND, 4, 1),
        (
            HEADER.replace(
                "{ event: signed_up }", "{ inactivity: { event: sesion_started, for: 30d } }"
            )
            + "steps:\n"
            + SEND,
            4,
            26,
        ),
        (with_steps(SEND, top="goal: { event: ordr_placed, within: 7d }\n"), 5, 9),
        (with_steps(SEND, top="exit_when:\n  - event: acount_deleted\n"), 6, 5),
        (
            with_steps("  - id: w\n    wait_for: { event: project_creatd, timeout: 1d }\n" + SEND),
            7,
            17,
        ),
    ],
)
def test_every_event_a_journey_listens_for_must_be_declared(text: str, line: int, col: int) -> None:
    problem = only(check(text), "unknown-event")
    assert (problem.location.line, problem.location.col) == (line, col)
    assert (problem.hint or "").startswith("Did you mean")

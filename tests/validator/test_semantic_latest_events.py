"""`latest_events:` as validate sees it: each name is `events.NAME` on every step, its
reads are checked like `entry.*`, and a read into one that may be none is flagged."""

from __future__ import annotations

from tests.validator.semantic_support import check, codes, only

HEADER = """\
id: winback
name: Win back
kind: reactivation
trigger: { event: session_started }
latest_events:
  last_order: order_placed
steps:
"""

BRANCH = """\
  - id: by-last-order
    branch:
      - if: events.last_order and events.last_order.properties.total >= 300
        goto: remember
      - else: end
"""

REMEMBER = """\
  - id: remember
    update:
      order_count: { expr: "events.last_order.properties.total" }
"""


def test_a_read_reached_only_through_an_arm_that_tests_the_name_is_clean() -> None:
    assert codes(check(HEADER + BRANCH + REMEMBER)) == []


def test_a_read_into_a_latest_event_nothing_tested_is_a_warning_at_its_line() -> None:
    problem = only(check(HEADER + REMEMBER), "latest-event-may-be-none")
    assert (problem.severity, problem.location.line, problem.location.col) == ("warning", 10, 22)
    assert "`events.last_order` may be none here" in problem.message
    assert problem.hint and "events.last_order and" in problem.hint


def test_a_path_that_skips_the_test_makes_the_read_unsafe() -> None:
    else_reaches_it = BRANCH.replace("- else: end", "- else: remember")
    found = check(HEADER + else_reaches_it + REMEMBER)
    assert codes(found) == [("latest-event-may-be-none", 15, 22)]


def test_the_expression_may_test_the_name_itself() -> None:
    guarded = REMEMBER.replace(
        '"events.last_order.properties.total"',
        '"events.last_order.properties.total if events.last_order else 0"',
    )
    assert codes(check(HEADER + guarded)) == []


def test_the_trigger_event_as_latest_event_is_never_none() -> None:
    own = HEADER.replace("last_order: order_placed", "last_visit: session_started")
    reads = '  - id: stamp\n    update:\n      plan: { expr: "events.last_visit.name" }\n'
    assert codes(check(own + reads)) == []


def test_a_latest_event_is_readable_in_journey_wide_expressions() -> None:
    audience = HEADER.replace(
        "steps:\n",
        "audience: events.last_order and events.last_order.properties.total > 0\nsteps:\n",
    )
    assert codes(check(audience + BRANCH + REMEMBER)) == []


def test_a_latest_event_property_compared_with_text_is_a_type_error() -> None:
    text = BRANCH.replace(">= 300", ">= '300'")
    problem = only(check(HEADER + text + REMEMBER), "property-type")
    assert problem.location.line == 10
    assert "`events.last_order.properties.total` is declared number" in problem.message

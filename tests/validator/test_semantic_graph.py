"""The step graph: ids, targets, reachability, loops that would spin, splits and exit reasons."""

from __future__ import annotations

import pytest

from journey.validator.semantic_graph import strongly_connected
from tests.validator.semantic_support import HEADER, check, codes, only, with_steps

SEND = "send: { channel: email, template: t/x }"


def test_a_journey_with_every_kind_of_control_flow_has_no_problems() -> None:
    text = with_steps(
        f"""  - id: welcome
    {SEND}
  - id: pause
    wait: 2d
  - id: check
    branch:
      - if: has_event('project_created')
        goto: celebrate
      - else: nudge
  - id: nudge
    wait_for: {{ event: project_created, timeout: 3d, on_timeout: reminder }}
    next: celebrate
  - id: reminder
    {SEND}
    next: end
  - id: celebrate
    split:
      - {{ weight: 90, goto: congrats }}
      - {{ weight: 10, goto: end, name: control }}
  - id: congrats
    {SEND}
"""
    )
    assert check(text) == []


def test_duplicate_step_id_points_at_the_second_and_names_the_first_line() -> None:
    found = check(with_steps(f"  - id: a\n    {SEND}\n  - id: a\n    wait: 1d\n"))
    problem = only(found, "duplicate-step-id")
    assert (problem.location.line, problem.location.col) == (8, 5)
    assert "line 6" in problem.message


def test_end_is_reserved_as_a_step_id() -> None:
    found = check(with_steps(f"  - id: end\n    {SEND}\n"))
    assert codes(found) == [("reserved-step-id", 6, 5)]


@pytest.mark.parametrize(
    ("step", "line", "col"),
    [
        (f"  - id: a\n    {SEND}\n    next: nudeg\n", 8, 5),
        ("  - id: a\n    branch:\n      - if: 'true'\n        goto: nudeg\n", 9, 9),
        ("  - id: a\n    branch:\n      - else: nudeg\n", 8, 9),
        ("  - id: a\n    split:\n      - { weight: 100, goto: nudeg }\n", 8, 24),
        ("  - id: a\n    wait_for: { event: signed_up, timeout: 1d, on_timeout: nudeg }\n", 7, 48),
    ],
)
def test_unknown_target_is_found_wherever_a_target_is_written(
    step: str, line: int, col: int
) -> None:
    found = check(with_steps(step + f"  - id: nudge\n    {SEND}\n"))
    problem = only(found, "unknown-step-target")
    assert (problem.location.line, problem.location.col) == (line, col)
    assert problem.hint == "Did you mean `nudge`? A target is a step id or `end`."


def test_end_is_a_target_everywhere() -> None:
    text = with_steps(
        """  - id: a
    branch:
      - if: 'true'
        goto: end
      - else: end
  - id: b
    wait_for: { event: signed_up, timeout: 1d, on_timeout: end }
    next: end
"""
    )
    assert codes(check(text)) == [("unreachable-step", 11, 5)]  # b: the branch always leaves


def test_steps_after_an_exit_are_unreachable_unless_something_targets_them() -> None:
    unreachable = with_steps(f"  - id: a\n    exit: done\n  - id: b\n    {SEND}\n")
    assert codes(check(unreachable)) == [("unreachable-step", 8, 5)]
    targeted = with_steps(
        "  - id: a\n    branch:\n      - if: 'true'\n        goto: b\n"
        f"  - id: stop\n    exit: done\n  - id: b\n    {SEND}\n"
    )
    assert check(targeted) == []


def test_an_unreachable_stretch_is_reported_once_at_its_first_step() -> None:
    text = with_steps(
        f"  - id: a\n    {SEND}\n    next: end\n  - id: b\n    {SEND}\n  - id: c\n    {SEND}\n"
    )
    problem = only(check(text), "unreachable-step")
    assert problem.location.line == 9
    assert "the 1 step it leads to" in problem.message


def test_a_misspelt_target_does_not_also_make_its_intended_step_unreachable() -> None:
    text = with_steps(
        f"  - id: a\n    {SEND}\n    next: fnal\n  - id: b\n    {SEND}\n  - id: final\n    {SEND}\n"
    )
    found = check(text)
    assert [d.code for d in found] == ["unknown-step-target", "unreachable-step"]
    assert "`b`" in found[1].message  # b is really skipped; `final` is not reported


def test_a_loop_with_a_wait_is_a_legitimate_reminder_cycle() -> None:
    text = with_steps(
        f"  - id: remind\n    {SEND}\n  - id: pause\n    wait: 7d\n"
        "  - id: again\n    branch:\n      - if: has_event('order_placed')\n        goto: end\n"
        "      - else: remind\n"
    )
    assert check(text) == []


def test_a_loop_without_a_wait_is_reported_where_it_goes_back() -> None:
    text = with_steps(
        f"  - id: remind\n    {SEND}\n"
        "  - id: again\n    branch:\n      - if: has_event('order_placed')\n        goto: end\n"
        "      - else: remind\n"
    )
    problem = only(check(text), "loop-without-wait")
    assert (problem.location.line, problem.location.col) == (12, 9)
    assert "`remind`, `again`" in problem.message


def test_a_step_that_goes_to_itself_spins() -> None:
    found = check(with_steps(f"  - id: a\n    {SEND}\n    next: a\n"))
    assert codes(found) == [("loop-without-wait", 8, 5)]


def test_split_weights_must_add_up_to_100_and_the_hint_says_the_sum() -> None:
    text = with_steps(
        "  - id: ab\n    split:\n"
        "      - { weight: 60, goto: b }\n      - { weight: 30, goto: end }\n"
        f"  - id: b\n    {SEND}\n"
    )
    problem = only(check(text), "split-weights")
    assert (problem.location.line, problem.location.col) == (7, 5)
    assert "90" in problem.message and "90" in (problem.hint or "")


@pytest.mark.parametrize(
    ("reason", "fine"),
    [
        ("not_eligible", True),
        ("goal", False),
        ("error", False),
        ("Not-Eligible", False),
        ("x" * 64, False),
    ],
)
def test_custom_exit_reasons_are_snake_case_and_not_reserved(reason: str, fine: bool) -> None:
    found = check(with_steps(f"  - id: a\n    exit: {reason}\n"))
    assert [d.code for d in found] == ([] if fine else ["invalid-exit-reason"])


def test_a_journey_without_steps_says_so() -> None:
    assert codes(check(HEADER + "steps: []\n")) == [("empty-steps", 5, 1)]


def test_strongly_connected_handles_a_very_long_chain_without_recursion() -> None:
    count = 20_000
    chain = [[i + 1] for i in range(count - 1)] + [[0]]
    components = strongly_connected(chain)
    assert len(components) == 1 and len(components[0]) == count

"""`journey simulate` lists why contacts exited with `error`, with how many each."""

from __future__ import annotations

from datetime import UTC, datetime

from journey.cli.simulate_output import error_reasons, render_table
from journey.engine.simulation import SimulationReport, TimelineRow

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
FAILED = "templates/cart/reminder/body.html:3: ValueError: format_currency: 'ten' is not a number"


def row(contact: str, kind: str, detail: str = "") -> TimelineRow:
    return TimelineRow(
        at=START,
        local="2026-03-02 10:00 UTC",
        contact_id=contact,
        kind=kind,
        step_id="remind",
        detail=detail,
    )


def test_each_failure_is_listed_once_with_its_count() -> None:
    report = SimulationReport(
        journey_id="cart-reminder",
        start=START,
        end=START,
        contacts=3,
        timeline=[
            row("c1", "fail", FAILED),
            row("c1", "exit", "error"),
            row("c2", "fail", FAILED),
            row("c2", "exit", "error"),
            row("c3", "fail", "`entry.properties.total > 3`: TypeError: '>' not supported"),
            row("c3", "exit", "error"),
        ],
    )
    assert error_reasons(report) == [
        "",
        "Why contacts exited with error",
        f"       2 × step remind failed: {FAILED}",
        "       1 × step remind failed: `entry.properties.total > 3`: TypeError: '>' not supported",
    ]
    assert "Why contacts exited with error" in render_table(report)


def test_no_section_without_failures() -> None:
    report = SimulationReport(
        journey_id="j",
        start=START,
        end=START,
        contacts=1,
        timeline=[row("c1", "exit", "completed")],
    )
    assert error_reasons(report) == []


def sampled_report(*timeline: TimelineRow) -> SimulationReport:
    """1,000 contacts of which the first 200 had their messages rendered."""
    return SimulationReport(
        journey_id="cart-reminder",
        start=START,
        end=START,
        contacts=1000,
        rendered_contacts=200,
        timeline=list(timeline),
    )


def test_a_render_failure_among_the_rendered_contacts_warns_that_the_others_were_not_rendered() -> (
    None
):
    report = sampled_report(row("c1", "fail", FAILED), row("c1", "exit", "error"))
    assert "run with --render-all to count every failure" in render_table(report)


def test_an_expression_failure_is_not_blamed_on_the_render_sample() -> None:
    failed = "`entry.properties.total > 3`: TypeError"
    table = render_table(sampled_report(row("c3", "fail", failed), row("c3", "exit")))
    assert "Messages were rendered for the first 200 contacts" in table
    assert "--render-all to count every failure" not in table

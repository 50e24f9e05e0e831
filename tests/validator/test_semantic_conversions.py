"""A conversion names a declared event; its value and currency properties have the right type."""

from __future__ import annotations

from pathlib import Path

from journey.loader import load_yaml_text
from journey.validator.semantic import check_workspace_doc
from journey.workspace import build_workspace
from tests.validator.semantic_support import codes

EVENTS = """events:
  order_placed: { order_id: string, total: number, currency: string }
  signed_up: { plan: string }
"""


def problems(conversions: str):  # type: ignore[no-untyped-def]
    return check_workspace_doc(load_yaml_text(EVENTS + conversions, "workspace.yaml"))


def test_well_declared_conversions_pass_and_build_with_their_window() -> None:
    text = (
        "conversions:\n  window: 3d\n  events:\n"
        "    order_placed: { value: total, currency: currency }\n"
    )
    assert problems(text) == []
    doc = load_yaml_text(EVENTS + text, "workspace.yaml")
    settings = build_workspace(Path("."), doc.data).conversions
    assert settings.window.text == "3d"
    rule = settings.events["order_placed"]
    assert rule.amount({"total": 189, "currency": "sek"}) == (189.0, "SEK")
    assert rule.amount({"total": "189"}) is None


def test_an_undeclared_conversion_event_is_located_with_a_suggestion() -> None:
    found = problems("conversions:\n  events:\n    order_placd: {}\n")
    assert codes(found) == [("conversion-unknown-event", 6, 5)]
    assert found[0].hint is not None and "`order_placed`" in found[0].hint


def test_a_value_that_is_not_a_number_and_a_missing_currency_are_each_reported() -> None:
    found = problems(
        "conversions:\n  events:\n    order_placed: { value: order_id, currency: curency }\n"
    )
    assert codes(found) == [("conversion-property", 6, 28), ("conversion-property", 6, 48)]
    assert "a string, not a number" in found[0].message
    assert "no property `curency`" in found[1].message


def test_a_bad_window_is_an_invalid_duration() -> None:
    found = problems("conversions:\n  window: 7 days\n")
    assert [d.code for d in found] == ["invalid-duration"]


SURVEY_EVENTS = "events:\n  survey_completed: { survey: string, score: number, reason: string }\n"


def survey_problems(surveys: str):  # type: ignore[no-untyped-def]
    return check_workspace_doc(load_yaml_text(SURVEY_EVENTS + surveys, "workspace.yaml"))


def test_a_declared_survey_passes_and_a_score_that_is_text_is_located() -> None:
    good = "surveys:\n  nps: { event: survey_completed, score: score, match: { survey: nps } }\n"
    assert survey_problems(good) == []
    found = survey_problems("surveys:\n  nps: { event: survey_completed, score: reason }\n")
    assert codes(found) == [("survey-declaration", 4, 42)]
    assert "`reason`, a string" in found[0].message


def test_a_survey_of_an_undeclared_event_is_located_with_a_suggestion() -> None:
    found = survey_problems("surveys:\n  nps: { event: survey_complete, score: score }\n")
    assert codes(found) == [("survey-declaration", 4, 17)]
    assert found[0].hint is not None and "`survey_completed`" in found[0].hint


def test_an_undeclared_activity_event_of_the_churn_rule_is_located_with_a_suggestion() -> None:
    events = "events:\n  order_placed: { total: number }\n  session_started: {}\n"
    good = "churn: { inactive_after: 30d, activity: [order_placed, session_started] }\n"
    assert check_workspace_doc(load_yaml_text(events + good, "workspace.yaml")) == []
    text = "churn:\n  inactive_after: 30d\n  activity: [order_placed, session_startd]\n"
    found = check_workspace_doc(load_yaml_text(events + text, "workspace.yaml"))
    assert codes(found) == [("churn-unknown-event", 6, 28)]
    assert found[0].hint is not None and "`session_started`" in found[0].hint
    rule = build_workspace(Path("."), load_yaml_text(events + good, "x").data).conversions.churn
    assert rule is not None and rule.inactive_after.text == "30d"
    assert rule.activity == ("order_placed", "session_started")


def test_lifetime_value_days_are_declared_or_90() -> None:
    doc = load_yaml_text("lifetime_value: { days: 30 }\n", "workspace.yaml")
    assert build_workspace(Path("."), doc.data).conversions.lifetime_value_days == 30
    assert build_workspace(Path("."), {}).conversions.lifetime_value_days == 90

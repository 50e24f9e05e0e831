"""Durations, HH:MM times, quiet hours, IANA zones and cron expressions."""

from __future__ import annotations

import pytest

from tests.validator.semantic_support import check, codes, only, with_steps, with_trigger

SEND = "  - id: s\n    send: { channel: email, template: t/x }\n"


@pytest.mark.parametrize(
    "text",
    [
        with_steps("  - id: w\n    wait: DUR\n" + SEND),
        with_steps("  - id: w\n    wait_for: { event: order_placed, timeout: DUR }\n" + SEND),
        with_steps(SEND, top="reentry: DUR\n"),
        with_steps(SEND, top="goal: { event: order_placed, within: DUR }\n"),
        with_steps(SEND, top="frequency_cap: { max: 2, per: DUR }\n"),
        with_trigger("{ inactivity: { event: session_started, for: DUR } }"),
        with_trigger("{ date: { attribute: birthday, offset: DUR } }"),
    ],
)
def test_every_duration_is_parsed_with_a_plain_message(text: str) -> None:
    assert check(text.replace("DUR", "1d12h")) == []
    problem = only(check(text.replace("DUR", "2days")), "invalid-duration")
    assert "units w d h m s" in problem.message


def test_only_a_date_offset_may_be_negative() -> None:
    assert check(with_trigger("{ date: { attribute: birthday, offset: -7d } }")) == []
    problem = only(check(with_steps("  - id: w\n    wait: -1d\n" + SEND)), "invalid-duration")
    assert "negative" in problem.message


@pytest.mark.parametrize(
    ("text", "warned"),
    [
        (with_steps(SEND, top="reentry: 3m\n"), True),
        (with_steps(SEND, top="goal: { event: order_placed, within: 1m }\n"), True),
        (with_steps(SEND, top="frequency_cap: { max: 2, per: 1m }\n"), True),
        (with_trigger("{ inactivity: { event: session_started, for: 2m } }"), True),
        (with_trigger("{ date: { attribute: birthday, offset: -1m } }"), True),
        (with_steps("  - id: w\n    wait: 30m\n" + SEND), False),  # a 30-minute wait is normal
    ],
)
def test_minutes_where_months_are_likely_meant_give_a_warning(text: str, warned: bool) -> None:
    found = check(text)
    assert [d.code for d in found] == (["suspicious-duration"] if warned else [])
    assert all(d.severity == "warning" and "days (d) or weeks (w)" in (d.hint or "") for d in found)


@pytest.mark.parametrize("value", ['"25:00"', '"9.30"', '"09:60"', "noon"])
def test_wall_clock_times_are_hh_mm(value: str) -> None:
    texts = [
        with_steps(f"  - id: w\n    wait_until: {{ time: {value} }}\n" + SEND),
        with_steps(SEND, top=f'quiet_hours: {{ start: {value}, end: "08:00" }}\n'),
        with_trigger(f"{{ date: {{ attribute: birthday, at: {value} }} }}"),
    ]
    for text in texts:
        assert [d.code for d in check(text)] == ["invalid-time"], text


def test_an_unquoted_time_is_still_a_time() -> None:
    assert check(with_steps("  - id: w\n    wait_until: { time: 9:30 }\n" + SEND)) == []


def test_quiet_hours_that_start_when_they_end_are_empty() -> None:
    text = with_steps(SEND, top='quiet_hours: { start: "9:00", end: "09:00" }\n')
    assert codes(check(text)) == [("quiet-hours-empty", 5, 1)]
    assert check(with_steps(SEND, top="quiet_hours: false\n")) == []


def test_a_misspelt_zone_gets_the_zone_it_meant() -> None:
    problem = only(check(with_steps(SEND, top="timezone: Europe/Stokholm\n")), "unknown-timezone")
    assert (problem.hint or "").startswith("Did you mean `Europe/Stockholm`?")
    problem = only(check(with_steps(SEND, top="timezone: europe/stockholm\n")), "unknown-timezone")
    assert (problem.hint or "").startswith("Did you mean `Europe/Stockholm`?")


def test_a_schedule_may_run_in_each_contacts_zone() -> None:
    trigger = '{ schedule: { cron: "0 9 * * MON", timezone: TZ } }'
    top = "audience: contact.digest_opt_in\n"
    assert check(with_trigger(trigger.replace("TZ", "contact"), top)) == []
    assert check(with_trigger(trigger.replace("TZ", "Asia/Shanghai"), top)) == []
    found = check(with_trigger(trigger.replace("TZ", "Asia/Shangai"), top))
    assert [d.code for d in found] == ["unknown-timezone"]


@pytest.mark.parametrize(
    "cron",
    [
        "0 9 * * MON",
        "*/15 8-18 * * 1-5",
        "0 9 1,15 * 0",
        "30 7 * JAN-MAR 7",
        "0 9 * * mon-fri",
        "0 9 * * MON-SUN",
        "0 9 * * Sat-Sun",
        "0 9 * jan-Dec 1-7",
    ],
)
def test_standard_cron_expressions_are_accepted(cron: str) -> None:
    trigger = f'{{ schedule: {{ cron: "{cron}" }} }}'
    assert check(with_trigger(trigger, "audience: contact.digest_opt_in\n")) == []


@pytest.mark.parametrize(
    ("cron", "says"),
    [
        ("0 9 * *", "five fields"),
        ("@daily", "five fields"),
        ("60 9 * * *", "minute"),
        ("0 24 * * *", "hour"),
        ("0 9 32 * *", "day"),
        ("0 9 * 13 *", "month"),
        ("0 9 * * 8", "day of week"),
        ("0 9 * * MONDAY", "day of week"),
        ("*/0 9 * * *", "step"),
        ("0 18-9 * * *", "backwards"),
    ],
)
def test_bad_cron_says_which_field_is_wrong(cron: str, says: str) -> None:
    trigger = f'{{ schedule: {{ cron: "{cron}" }} }}'
    problem = only(
        check(with_trigger(trigger, "audience: contact.digest_opt_in\n")), "invalid-cron"
    )
    assert says in problem.message

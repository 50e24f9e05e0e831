"""What `journey test` proves is what `journey run` does.

Every example journey of this repository (event, segment, schedule, date and
inactivity triggers; send, wait, wait_until, wait_for, branch, split, update
and webhook steps; goals, exit_when, frequency caps, quiet hours), plus
journeys that react to delivery outcomes, run over the demo's population
through the test shell and through the real daemon on the same virtual clock,
with channels that fail the same deliveries: the enrollment histories,
deliveries, exits and events must be identical. Hypothesis then writes small
journeys and timelines of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey.demo.population import contacts, timeline
from tests.engine.parity_world import (
    Timed,
    corpus_workspace,
    entered,
    run_daemon_shell,
    run_test_shell,
    snapshot,
)

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # the demo's Monday morning

AFTER_FIRST_MESSAGE = """\
id: after-first-message
name: After the first message
kind: onboarding
trigger:
  segment: has_event('journey.sent')
quiet_hours: false
frequency_cap: false
exit_when:
  - event: journey.failed
steps:
  - id: settle
    wait: 1d
  - id: hello
    send: { channel: email, template: onboarding/welcome }
"""

ON_FAILED_PUSH = """\
id: after-a-failed-call
name: After a failed CRM call
kind: onboarding
trigger:
  event: journey.failed
  where: event.properties.channel == 'crm'
quiet_hours: false
frequency_cap: false
steps:
  - id: tell
    send: { channel: sms, template: churn/offer_reminder }
"""


def _demo_inputs(days: int, customers: int, trials: int) -> list[Timed]:
    people = contacts(START, customers)
    items = [Timed(at=START, kind="contact", record=person) for person in people]
    for item in timeline(START, people, days, trials):
        items.append(Timed(at=item.at, kind=item.kind, record=item.record))
    return items


def test_the_example_journeys_do_the_same_under_test_and_under_run(tmp_path: Path) -> None:
    root = corpus_workspace(
        tmp_path / "ws",
        {"after-first-message": AFTER_FIRST_MESSAGE, "after-a-failed-call": ON_FAILED_PUSH},
    )
    inputs = _demo_inputs(days=12, customers=40, trials=16)
    end = START + timedelta(days=12)
    under_test = snapshot(run_test_shell(root, inputs, START, end))
    under_run = snapshot(run_daemon_shell(root, inputs, START, end))

    # the corpus did exercise what it is meant to
    journeys = {row[1] for row in under_test["enrollments"]}
    assert len(journeys) >= 6, journeys
    statuses = {row[8] for row in under_test["deliveries"]}
    assert {"sent", "dead", "parked"} <= statuses, statuses
    assert any(row[9] > 1 for row in under_test["deliveries"]), "no delivery was retried"
    assert entered(under_test, "after-first-message"), "nobody entered on journey.sent"
    assert entered(under_test, "after-a-failed-call"), "nobody entered on journey.failed"
    sent_events = [row for row in under_test["events"] if row[2] == "journey.sent"]
    assert all('"channel"' in row[5] for row in sent_events)

    for table in under_test:
        assert under_test[table] == under_run[table], f"{table} differ between test and run"


def test_a_segment_on_journey_sent_enters_the_same_contacts_under_test_and_run(
    tmp_path: Path,
) -> None:
    root = corpus_workspace(tmp_path / "ws", {"after-first-message": AFTER_FIRST_MESSAGE})
    for path in (root / "journeys").glob("*.yaml"):
        if path.stem not in ("onboarding", "after-first-message"):
            path.unlink()
    inputs = _demo_inputs(days=4, customers=4, trials=6)
    end = START + timedelta(days=4)
    under_test = entered(snapshot(run_test_shell(root, inputs, START, end)), "after-first-message")
    under_run = entered(snapshot(run_daemon_shell(root, inputs, START, end)), "after-first-message")
    assert under_test, "the onboarding journey sent nothing"
    assert under_test == under_run


# ---------------------------------------------------------------------- generated

_EVENTS = ("session_started", "order_placed", "account_deleted")  # go, bought, stop


def _step(draw: st.DrawFn, number: int, last: bool) -> dict[str, object]:
    kind = draw(st.sampled_from(("send", "sms", "wait", "wait_for", "branch", "update", "hook")))
    step: dict[str, object] = {"id": f"s{number}"}
    if kind == "send":
        step["send"] = {"channel": "email", "template": "onboarding/welcome"}
    elif kind == "sms":
        step["send"] = {"channel": "sms", "template": "churn/offer_reminder"}
    elif kind == "wait":
        step["wait"] = draw(st.sampled_from(("30m", "5h", "1d", "3d")))
    elif kind == "wait_for":
        step["wait_for"] = {
            "event": draw(st.sampled_from((*_EVENTS[1:], "journey.sent"))),
            "timeout": draw(st.sampled_from(("2h", "1d"))),
        }
    elif kind == "branch" and not last:
        step["branch"] = [{"if": "(contact.order_count or 0) >= 2", "goto": "end"}]
    elif kind == "update":
        step["update"] = {"order_count": {"expr": "(contact.order_count or 0) + 1"}}
    else:
        step["webhook"] = {"channel": "crm", "path": "/hook", "body": {"id": "{{ contact.id }}"}}
    return step


@st.composite
def journeys(draw: st.DrawFn) -> str:
    trigger = draw(
        st.sampled_from(
            (
                {"event": "session_started"},
                {"segment": "(contact.order_count or 0) >= 1"},
                {"segment": "has_event('journey.sent')"},
                {"event": "journey.sent"},
            )
        )
    )
    count = draw(st.integers(1, 5))
    steps = [_step(draw, n, n == count - 1) for n in range(count)]
    if draw(st.booleans()):
        steps.insert(
            0,
            {
                "id": "ab",
                "split": [{"weight": 50, "goto": steps[0]["id"]}, {"weight": 50, "goto": "end"}],
            },
        )
    document = {
        "id": "generated",
        "name": "Generated",
        "kind": "onboarding",
        "trigger": trigger,
        "reentry": draw(st.sampled_from(("never", "always", "1d"))),
        "exit_when": [{"event": "account_deleted"}],
        "quiet_hours": draw(st.sampled_from((False, {"start": "21:00", "end": "08:00"}))),
        "frequency_cap": draw(st.sampled_from((False, {"max": 2, "per": "1d", "on_cap": "skip"}))),
        "steps": steps,
    }
    return yaml.safe_dump(document, sort_keys=False)


@st.composite
def timelines(draw: st.DrawFn) -> list[Timed]:
    people = [
        {
            "id": f"p{n}",
            "email": f"p{n}@example.com",
            "phone": "+46701234567",
            "timezone": draw(st.sampled_from(("Europe/Stockholm", "Asia/Shanghai", "UTC"))),
            "consent": {"email": True, "sms": draw(st.booleans())},
        }
        for n in range(draw(st.integers(1, 3)))
    ]
    items = [Timed(at=START, kind="contact", record=p) for p in people]
    for n in range(draw(st.integers(1, 8))):
        at = START + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
        who = draw(st.sampled_from(people))["id"]
        if draw(st.booleans()):
            name = draw(st.sampled_from(_EVENTS))
            record = {"id": f"e{n}", "name": name, "contact_id": who, "timestamp": at.isoformat()}
            items.append(Timed(at=at, kind="event", record=record))
        else:
            orders = draw(st.integers(0, 3))
            items.append(Timed(at=at, kind="contact", record={"id": who, "order_count": orders}))
    return items


@pytest.fixture(scope="module")
def generated_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus workspace without its journeys: each example writes its own."""
    root = corpus_workspace(tmp_path_factory.mktemp("generated") / "ws")
    for path in (root / "journeys").glob("*.yaml"):
        path.unlink()
    return root


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(journey=journeys(), inputs=timelines())
def test_generated_journeys_do_the_same_under_test_and_under_run(
    generated_root: Path, journey: str, inputs: list[Timed]
) -> None:
    root = generated_root
    for path in root.glob("*shell.db*"):
        path.unlink()
    (root / "journeys" / "generated.yaml").write_text(journey, encoding="utf-8")
    end = START + timedelta(days=5)
    under_test = snapshot(run_test_shell(root, inputs, START, end))
    under_run = snapshot(run_daemon_shell(root, inputs, START, end))
    for table in under_test:
        assert under_test[table] == under_run[table], f"{table} differ:\n{journey}"

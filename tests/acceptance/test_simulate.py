"""`journey simulate` as a marketer runs it before merging a pull request."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from journey.cli.main import cli
from journey.compiler import compile_journey
from journey.loader import load_yaml
from journey.model import Plan
from journey.simulation_inputs import entry_events, trigger_example
from journey.workspace import load_workspace

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "journeys" / "examples"


def population(tmp_path: Path, size: int, plan: str = "monthly") -> Path:
    zones = [
        ("sv_SE", "Europe/Stockholm", "SE"),
        ("zh_CN", "Asia/Shanghai", "CN"),
        ("en_US", "America/New_York", "US"),
    ]
    path = tmp_path / "contacts.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for number in range(size):
            locale, zone, country = zones[number % 3]
            handle.write(
                json.dumps(
                    {
                        "id": f"c{number}",
                        "email": f"c{number}@example.com",
                        "locale": locale,
                        "timezone": zone,
                        "country": country,
                        "consent": {"email": True, "push": True},
                        "plan": plan,
                        "digest_opt_in": True,
                        "first_name": "Alex",
                    }
                )
                + "\n"
            )
    return path


def simulate(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(ROOT), "simulate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_event_journey_without_events_says_so(tmp_path: Path) -> None:
    code, _, err = simulate(
        str(EXAMPLES / "onboarding.yaml"), "--contacts", str(population(tmp_path, 3))
    )
    assert code == 2
    assert "--events" in err and "--enter-all" in err


def test_onboarding_timeline_counts_and_sends_per_day(tmp_path: Path) -> None:
    code, out, _ = simulate(
        str(EXAMPLES / "onboarding.yaml"),
        "--contacts",
        str(population(tmp_path, 30, "trial")),
        "--start",
        "2026-03-27T08:00:00Z",
        "--enter-all",
        "--format",
        "json",
    )
    assert code == 0
    report = json.loads(out)
    assert report["entered"] == 30
    welcome = [r for r in report["timeline"] if r["what"] == "send" and r["step"] == "welcome"]
    assert {r["locale"] for r in welcome} == {"sv", "zh_Hans", "en"}
    swede = next(r for r in welcome if r["contact"] == "c0")
    assert swede["local"] == "2026-03-27 09:00 CET"
    assert report["steps"]["welcome"]["outcomes"]["sent"] == 30
    assert list(report["steps"])[:2] == ["welcome", "settle-in"]  # the journey's order
    assert sum(report["sends_per_day"].values()) == len(
        [r for r in report["timeline"] if r["what"] == "send"]
    )


def test_events_file_drives_entries_and_table_output(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(
        json.dumps(
            {
                "id": "e1",
                "name": "signed_up",
                "contact_id": "c1",
                "timestamp": "2026-03-27T10:00:00Z",
                "properties": {"plan": "trial"},
            }
        )
        + "\n",
        encoding="utf-8",
    )
    code, out, _ = simulate(
        str(EXAMPLES / "onboarding.yaml"),
        "--contacts",
        str(population(tmp_path, 3)),
        "--events",
        str(events),
        "--start",
        "2026-03-27T00:00:00Z",
        "--for",
        "3d",
    )
    assert code == 0
    assert "Timeline (contact-local time)" in out and "Per step" in out
    assert "send welcome" in out and "Sends per day" in out
    assert "Entered 1," in out


def test_schedule_journey_runs_without_events(tmp_path: Path) -> None:
    code, out, _ = simulate(
        str(EXAMPLES / "engagement.yaml"),
        "--contacts",
        str(population(tmp_path, 6)),
        "--start",
        "2026-03-01T00:00:00Z",
        "--for",
        "8d",
        "--format",
        "json",
    )
    assert code == 0
    report = json.loads(out)
    assert report["entered"] == 0  # nobody has recent activity: the audience excludes them


def test_nobody_entering_is_explained(tmp_path: Path) -> None:
    contacts = population(tmp_path, 3, plan="monthly")  # onboarding wants a trial sign-up
    result = CliRunner().invoke(
        cli,
        ["simulate", str(EXAMPLES / "onboarding.yaml"), "--contacts", str(contacts), "--enter-all"],
    )
    assert result.exit_code == 0, result.output
    assert "Entered 0" in result.output
    assert "Nobody entered" in result.output


SEGMENT_JOURNEY = """\
id: quiet-customers
name: Quiet customers
kind: engagement
trigger: {{ segment: "days_since(contact.last_order_at) >= 10"{extra} }}
steps:
  - id: welcome-to-the-club
    update: {{ lifecycle_stage: at_risk }}
"""


def _segment_run(tmp_path: Path, extra: str = "") -> dict:
    journey = tmp_path / "club.yaml"
    journey.write_text(SEGMENT_JOURNEY.format(extra=extra), encoding="utf-8")
    contacts = tmp_path / "members.jsonl"
    contacts.write_text(
        json.dumps({"id": "veteran", "last_order_at": "2026-03-01T12:00:00Z"})
        + "\n"
        + json.dumps({"id": "newcomer", "last_order_at": "2026-03-25T12:00:00Z"})
        + "\n",
        encoding="utf-8",
    )
    code, out, err = simulate(
        str(journey), "--contacts", str(contacts), "--start", "2026-03-30T00:00:00Z",
        "--for", "10d", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    return json.loads(out)


def test_a_segment_journey_ships_over_the_population_as_it_is(tmp_path: Path) -> None:
    report = _segment_run(tmp_path)
    entered = {r["contact"] for r in report["timeline"] if r["what"] == "enter"}
    assert entered == {"newcomer"}  # ten days without an order on 4 April; the veteran had them
    assert report["matched_at_start"] == 1
    enter = next(r for r in report["timeline"] if r["what"] == "enter")
    assert enter["at"].startswith("2026-04-04T")


def test_include_existing_lets_those_already_matching_in(tmp_path: Path) -> None:
    report = _segment_run(tmp_path, ", include_existing: true")
    entered = {r["contact"] for r in report["timeline"] if r["what"] == "enter"}
    assert entered == {"veteran", "newcomer"}
    assert report["matched_at_start"] == 0


def test_the_timeline_shows_contacts_whose_messages_were_rendered(tmp_path: Path) -> None:
    code, out, _ = simulate(
        str(EXAMPLES / "onboarding.yaml"), "--contacts", str(population(tmp_path, 260, "trial")),
        "--start", "2026-03-27T08:00:00Z", "--enter-all", "--for", "3d",
    )  # fmt: skip
    assert code == 0
    timeline = out.split("Per step")[0]
    assert "send welcome" in timeline
    assert "[onboarding/" not in timeline  # a placeholder is never what the table shows
    assert "Messages were rendered for the first 200 contacts" in out


def test_enter_all_gives_each_contact_the_trigger_events_declared_example(tmp_path: Path) -> None:
    """A cart journey over the population: the entry event is the workspace's example cart
    (389 SEK), so its reminder renders for everyone instead of failing on a missing total."""
    contacts = population(tmp_path, 12)
    with contacts.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "big", "email": "b@example.com", "total": 4200,
                                 "consent": {"email": True}}) + "\n")  # fmt: skip
    code, out, err = simulate(
        str(EXAMPLES / "abandoned_cart.yaml"), "--contacts", str(contacts), "--enter-all",
        "--start", "2026-03-02T07:00:00Z", "--format", "json", "--render-all",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert report["exited"] == {"completed": 13}
    assert not [row for row in report["timeline"] if row["what"] == "fail"]
    sent = [row for row in report["timeline"] if row["what"] == "send"]
    assert {row["contact"] for row in sent} >= {"c0", "big"}


def compile_file_for(path: Path) -> tuple[Plan, Any]:
    workspace, _ = load_workspace(ROOT)
    return compile_journey(load_yaml(path), workspace), workspace


def test_an_attribute_named_like_an_example_property_wins_over_the_example() -> None:
    plan, workspace = compile_file_for(EXAMPLES / "abandoned_cart.yaml")
    records: list[dict[str, Any]] = [
        {"id": "a", "email": "a@example.com"},
        {"id": "b", "total": 4200, "consent": {}},
    ]
    example = trigger_example(plan, workspace)
    assert example["total"] == 389 and example["currency"] == "SEK"
    first, second = entry_events(plan, records, datetime(2026, 3, 2, tzinfo=UTC), example)
    assert first.properties == {**example, "email": "a@example.com"}
    assert second.properties["total"] == 4200 and second.properties["currency"] == "SEK"


def test_a_bad_contact_line_is_named(tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.jsonl"
    contacts.write_text('{"id": "c1"}\n{"id": "c2", "consent": "yes"}\n', encoding="utf-8")
    code, _, err = simulate(
        str(EXAMPLES / "loyalty.yaml"), "--contacts", str(contacts), "--enter-all"
    )
    assert code == 2
    assert "contacts.jsonl:2:" in err and "consent" in err
    assert "Traceback" not in err


def test_a_contact_given_twice_is_one_contact_with_both_lines_merged(tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.jsonl"
    contacts.write_text(
        '{"id": "c1", "email": "c1@example.com", "locale": "sv_SE", "country": "SE",'
        ' "consent": {"email": true}}\n'
        '{"id": "c1", "first_name": "Astrid"}\n',
        encoding="utf-8",
    )
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"id": "e1", "name": "signed_up", "contact_id": "c1",'
        ' "timestamp": "2026-03-27T10:00:00Z", "properties": {"plan": "trial"}}\n',
        encoding="utf-8",
    )
    code, out, _ = simulate(
        str(EXAMPLES / "onboarding.yaml"), "--contacts", str(contacts), "--events", str(events),
        "--start", "2026-03-27T00:00:00Z", "--for", "1d", "--format", "json",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    assert report["contacts"] == 1
    (welcome,) = [r for r in report["timeline"] if r["what"] == "send"]
    assert welcome["locale"] == "sv"  # the first line's locale survived the second line


def test_a_split_is_reported_per_arm_with_the_arms_the_hash_gives(tmp_path: Path) -> None:
    from journey.engine.steps import split_arm
    from journey.model import SplitArm, SplitStep

    contacts = population(tmp_path, 60)
    events = tmp_path / "events.jsonl"
    events.write_text(
        "".join(
            json.dumps({"id": f"s{n}", "name": "session_started", "contact_id": f"c{n}",
                        "timestamp": "2026-03-19T12:00:00Z"}) + "\n"
            for n in range(60)
        ),
        encoding="utf-8",
    )  # fmt: skip
    args = ("--contacts", str(contacts), "--events", str(events), "--start", "2026-03-20T12:00:00Z")
    code, out, _ = simulate(
        str(EXAMPLES / "engagement.yaml"), *args, "--for", "4d", "--format", "json"
    )
    assert code == 0
    split = next(s for s in json.loads(out)["splits"] if s["step"] == "digest-test")
    step = SplitStep(
        id="digest-test",
        next="end",
        arms=(
            SplitArm(weight=50, goto="digest-classic", name="classic"),
            SplitArm(weight=50, goto="digest-for-you", name="picked_for_you"),
        ),
    )
    entered = {arm["name"]: arm["entered"] for arm in split["arms"]}
    assert sum(entered.values()) > 0
    expected = {"classic": 0, "picked_for_you": 0}  # everyone enters once, on Monday 23 March
    for number in range(60):
        expected[split_arm(step, "engagement-weekly-grind", f"c{number}")[0]] += 1
    assert entered == expected
    _, table, _ = simulate(str(EXAMPLES / "engagement.yaml"), *args, "--for", "4d")
    assert "Split `digest-test` per arm" in table and "picked_for_you" in table

"""`journey simulate` as a marketer runs it before merging a pull request."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli

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

"""`journey test` feeds a `journey.clicked` event like a tracked link's, and it drives
`wait_for` as the daemon's does: the person who clicked gets no nudge."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli
from tests.support.cart_workspace import write_cart_workspace

JOURNEY = """\
id: cart-reminder
name: Cart reminder
kind: reactivation
locales: [en, de]
trigger: { event: cart_abandoned }
steps:
  - id: remind
    send: { channel: email, template: cart/reminder }
  - id: await_click
    wait_for:
      event: journey.clicked
      where: "event.properties.label == 'cta'"
      timeout: 2d
      on_timeout: nudge
  - id: clicked
    update: { clicked_reminder: true }
    next: end
  - id: nudge
    send: { channel: email, template: cart/reminder }
"""

TEST = """\
journey: cart-reminder
cases:
  - name: a click on the reminder's button ends the journey without a nudge
    start: 2026-03-02T10:00:00Z
    contact: { id: c1, email: a@example.com, consent: { email: true } }
    events:
      - name: cart_abandoned
        after: 0s
        properties: { items: [{ name: Mug, quantity: 1 }], total: 12.5, currency: EUR }
      - name: journey.clicked
        after: 3h
        properties: { label: cta, url: "https://shop.example/cart", step_id: remind }
    expect:
      - { send: remind, at: "2026-03-02T10:00:00Z" }
      - { exit: completed }
  - name: a click on another link is not the button's, so the nudge goes out
    start: 2026-03-02T10:00:00Z
    contact: { id: c1, email: a@example.com, consent: { email: true } }
    events:
      - name: cart_abandoned
        after: 0s
        properties: { items: [{ name: Mug, quantity: 1 }], total: 12.5, currency: EUR }
      - name: journey.clicked
        after: 3h
        properties: { label: help, url: "https://shop.example/help", step_id: remind }
    expect:
      - { send: remind, at: "2026-03-02T10:00:00Z" }
      - { send: nudge, at: "2026-03-04T10:00:00Z" }
      - { exit: completed }
"""


def _workspace(root: Path, test: str) -> None:
    journey = write_cart_workspace(root)
    journey.write_text(JOURNEY, encoding="utf-8")
    config = root / "workspace.yaml"
    config.write_text(
        config.read_text().replace("  first_name: string\n", "  first_name: string\n"
        "  clicked_reminder: boolean\n")
    )  # fmt: skip
    (root / "journeys" / "cart.test.yaml").write_text(test, encoding="utf-8")


def test_a_clicked_event_in_a_test_case_drives_wait_for(tmp_path: Path) -> None:
    _workspace(tmp_path, TEST)
    result = CliRunner().invoke(cli, ["--workspace", str(tmp_path), "test"])
    assert result.exit_code == 0, result.stdout
    assert "2 passed, 0 failed" in result.stdout, result.stdout


def test_the_case_fails_when_the_click_is_expected_to_stop_the_nudge_but_does_not(
    tmp_path: Path,
) -> None:
    wrong = TEST.replace("label: help", "label: cta", 1).replace("label: cta,", "label: help,", 1)
    _workspace(tmp_path, wrong)
    result = CliRunner().invoke(cli, ["--workspace", str(tmp_path), "test"])
    assert result.exit_code == 1, result.stdout
    assert "+send: nudge" in result.stdout, result.stdout


def _lines(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_simulate_counts_a_click_from_the_events_file_as_the_wait_being_met(
    tmp_path: Path,
) -> None:
    _workspace(tmp_path, TEST)
    people = ("c1", "c2")
    contacts = _lines(
        tmp_path / "contacts.jsonl",
        [{"id": c, "email": f"{c}@example.com", "consent": {"email": True}} for c in people],
    )
    cart = {"items": [{"name": "Mug", "quantity": 1}], "total": 12.5, "currency": "EUR"}
    events = _lines(
        tmp_path / "events.jsonl",
        [
            *(
                {"id": f"a-{c}", "name": "cart_abandoned", "contact_id": c,
                 "timestamp": "2026-03-02T10:00:00Z", "properties": cart}
                for c in people
            ),
            {"id": "k1", "name": "journey.clicked", "contact_id": "c1",
             "timestamp": "2026-03-02T13:00:00Z",
             "properties": {"label": "cta", "url": "https://shop.example/cart"}},
        ],
    )  # fmt: skip
    result = CliRunner().invoke(
        cli,
        ["--workspace", str(tmp_path), "simulate", str(tmp_path / "journeys" / "cart.yaml"),
         "--contacts", str(contacts), "--events", str(events),
         "--start", "2026-03-02T00:00:00Z", "--for", "5d", "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    steps = json.loads(result.stdout)["steps"]
    assert steps["await_click"]["outcomes"]["matched"] == 1  # c1's click
    assert steps["await_click"]["outcomes"]["timeout"] == 1  # c2 never clicked
    assert (steps["clicked"]["entered"], steps["nudge"]["entered"]) == (1, 1)

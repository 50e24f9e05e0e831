"""A marketer reads the customer's last order in a cart journey: `latest_events`, as
`journey validate`, `journey test` and `journey preview` see it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli

WORKSPACE = """\
default_locale: en
contact_attributes:
  last_order_total: number
events:
  cart_abandoned: { total: number }
  order_placed:
    order_id: string
    total: number
    example: { order_id: FK-1, total: 120 }
"""

JOURNEY = """\
id: cart-big-spender
name: Cart reminder that knows the last order
kind: reactivation
trigger: { event: cart_abandoned }
latest_events:
  last_order: order_placed
steps:
  - id: by-last-order
    branch:
      - if: events.last_order and events.last_order.properties.total >= 300
        goto: vip
      - else: regular
  - id: vip
    send: { channel: email, template: cart/vip }
    next: remember
  - id: regular
    send: { channel: email, template: cart/regular }
  - id: remember
    update:
      last_order_total: { expr: "events.last_order.properties.total if events.last_order else 0" }
  - id: later
    wait: 1d
  - id: receipt
    send: { channel: email, template: cart/receipt }
"""

TEMPLATES = {
    "vip": "Your last order {{ events.last_order.properties.order_id }}"
    " came to {{ events.last_order.properties.total }}.\n",
    "regular": "{% if events.last_order %}Last time: {{ events.last_order.properties.order_id }}"
    "{% else %}Your first order?{% endif %}\n",
    "receipt": "We noted {{ contact.last_order_total }}.\n",
}

TEST = """\
journey: cart-big-spender
cases:
  - name: a big spender gets the VIP reminder quoting the last order, which the update keeps
    start: 2026-03-02T10:00:00Z
    contact: { id: c1, email: a@example.com, consent: { email: true } }
    events:
      - { after: -40d, name: order_placed, properties: { order_id: FK-7, total: 500 } }
      - { after: -20d, name: order_placed, properties: { order_id: FK-9, total: 389 } }
      - { after: 0s, name: cart_abandoned, properties: { total: 50 } }
    run_for: 2d
    expect:
      - { send: vip, text_contains: "Your last order FK-9 came to 389." }
      - { send: receipt, text_contains: "We noted 389." }
      - { exit: completed }
  - name: a first-time shopper has no last order and gets the plain reminder
    start: 2026-03-02T10:00:00Z
    contact: { id: c2, email: b@example.com, consent: { email: true } }
    events:
      - { after: 0s, name: cart_abandoned, properties: { total: 50 } }
    run_for: 2d
    expect:
      - { send: regular, text_contains: "Your first order?" }
      - { send: receipt, text_contains: "We noted 0." }
      - { exit: completed }
"""


def write_workspace(root: Path, vip_body: str = TEMPLATES["vip"]) -> None:
    (root / "workspace.yaml").write_text(WORKSPACE)
    (root / "journeys").mkdir()
    (root / "journeys" / "cart.yaml").write_text(JOURNEY)
    (root / "journeys" / "cart.test.yaml").write_text(TEST)
    for name, body in {**TEMPLATES, "vip": vip_body}.items():
        folder = root / "templates" / "cart" / name
        folder.mkdir(parents=True)
        (folder / "subject.txt").write_text("Your cart\n")
        (folder / "body.txt").write_text(body)
        (folder / "body.html").write_text(f"<p>{body.strip()}</p>\n")


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_journey_validates_and_its_cases_pass(tmp_path: Path) -> None:
    write_workspace(tmp_path)
    code, out, err = run(tmp_path, "validate", "--strict")  # no warning either
    assert code == 0, out + err
    code, out, err = run(tmp_path, "test")
    assert code == 0, out + err
    assert "2 passed, 0 failed" in out


def test_a_preview_shows_the_last_order_given_else_the_declared_example(tmp_path: Path) -> None:
    write_workspace(tmp_path)
    journey = str(tmp_path / "journeys" / "cart.yaml")
    contact = json.dumps({"id": "c1", "email": "a@example.com"})
    order = json.dumps({"properties": {"order_id": "FK-42", "total": 640}})
    code, out, err = run(
        tmp_path, "preview", journey, "--step", "vip", "--contact", contact,
        "--event", f"last_order={order}",
    )  # fmt: skip
    assert code == 0, err
    assert "Your last order FK-42 came to 640." in out
    code, out, err = run(tmp_path, "preview", journey, "--step", "vip", "--contact", contact)
    assert code == 0, err
    assert "Your last order FK-1 came to 120." in out


def test_a_preview_of_a_contact_without_a_last_order(tmp_path: Path) -> None:
    write_workspace(tmp_path)
    journey = str(tmp_path / "journeys" / "cart.yaml")
    contact = json.dumps({"id": "c2", "email": "b@example.com"})
    code, out, err = run(
        tmp_path, "preview", journey, "--step", "regular", "--contact", contact,
        "--event", "last_order=none",
    )  # fmt: skip
    assert code == 0, err
    assert "Your first order?" in out and "Last time" not in out


def test_a_template_reading_an_undeclared_property_of_the_last_order_fails_at_its_line(
    tmp_path: Path,
) -> None:
    write_workspace(
        tmp_path, vip_body="Hello!\nYou spent {{ events.last_order.properties.totl }}.\n"
    )
    code, out, _ = run(tmp_path, "validate")
    assert code == 1
    assert (
        "templates/cart/vip/body.txt:2:1: error unknown-property: "
        "`events.last_order.properties.totl`: event `order_placed` declares no property `totl`"
    ) in out
    assert "Did you mean `total`?" in out


def test_a_template_reading_into_the_last_order_on_a_path_without_one_is_a_warning(
    tmp_path: Path,
) -> None:
    write_workspace(tmp_path)
    regular = tmp_path / "templates" / "cart" / "regular" / "body.txt"
    regular.write_text("Thanks!\nLast time: {{ events.last_order.properties.order_id }}\n")
    code, out, _ = run(tmp_path, "validate", "--strict")
    assert code == 1
    assert (
        "templates/cart/regular/body.txt:2:1: warning latest-event-may-be-none:"
        " `events.last_order` may be none here"
    ) in out


def test_a_webhook_body_reading_the_last_order_is_checked_at_its_value(tmp_path: Path) -> None:
    write_workspace(tmp_path)
    journey = tmp_path / "journeys" / "cart.yaml"
    journey.write_text(
        journey.read_text()
        + "  - id: tell-crm\n"
        + "    webhook:\n"
        + "      url: https://crm.example/hooks/cart\n"
        + "      body:\n"
        + '        order: "{{ events.last_order.properties.order_id }}"\n'
        + '        spent: "{{ events.last_ordr.properties.total if events.last_ordr else 0 }}"\n'
    )
    code, out, _ = run(tmp_path, "validate", "--strict")
    assert code == 1
    assert "cart.yaml:29:16: warning latest-event-may-be-none: `events.last_order`" in out
    assert (
        "cart.yaml:30:16: error unknown-property: `events.last_ordr`: no `wait_for` of this"
        " journey keeps an event as `last_ordr`, and `latest_events` does not name it"
    ) in out
    assert "Did you mean `last_order`?" in out

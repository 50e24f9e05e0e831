"""Variants and ordered channel lists, proven through `journey test` as a user runs it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli
from journey.engine.send_choice import variant_for
from journey.model import SendStep, SendVariant

JOURNEY = """id: spring-promo
name: Spring promo
kind: engagement
trigger: { event: promo_opted }
steps:
  - id: announce
    send:
      channel: [push, sms, email]
      template: promo/spring
      variants:
        short:
          weight: 50
          subject: "Spring: {{ variant.vars.discount }}% off"
          vars: { discount: 20 }
        long: { weight: 50, vars: { discount: 15 } }
"""

TEMPLATES = {
    "subject.txt": "Spring is here, {{ contact.first_name }}",
    "body.txt": "Take {{ variant.vars.discount }}% off ({{ variant.name }}).",
    "body.html": "<p>Take {{ variant.vars.discount }}% off ({{ variant.name }}).</p>",
    "sms.txt": "SMS: {{ variant.vars.discount }}% off",
    "push.txt": "Push: {{ variant.vars.discount }}% off",
}


def workspace(tmp_path: Path) -> Path:
    (tmp_path / "workspace.yaml").write_text("default_locale: en\n", "utf-8")
    (tmp_path / "journeys").mkdir()
    (tmp_path / "journeys" / "promo.yaml").write_text(JOURNEY, "utf-8")
    folder = tmp_path / "templates" / "promo" / "spring"
    folder.mkdir(parents=True)
    for name, text in TEMPLATES.items():
        (folder / name).write_text(text, "utf-8")
    return tmp_path


def variant_of(contact_id: str) -> str:
    step = SendStep(
        id="announce",
        next="end",
        channel="push",
        template="promo/spring",
        variants=(SendVariant(name="short", weight=50), SendVariant(name="long", weight=50)),
    )
    chosen = variant_for(step, "spring-promo", contact_id)
    assert chosen is not None
    return chosen.name


def contact_with(variant: str) -> str:
    return next(f"c{n}" for n in range(100) if variant_of(f"c{n}") == variant)


def run_test(root: Path, cases: str) -> tuple[int, str]:
    path = root / "journeys" / "promo.test.yaml"
    path.write_text("journey: spring-promo\ncases:\n" + cases, "utf-8")
    result = CliRunner().invoke(cli, ["--workspace", str(root), "test", str(path)])
    return result.exit_code, result.stdout + result.stderr


def case(name: str, contact: str, expect: str) -> str:
    return (
        f"  - name: {name}\n    start: 2026-04-01T10:00:00Z\n"
        f"    contact: {contact}\n"
        "    events: [{ after: 0s, name: promo_opted }]\n    run_for: 1h\n"
        f"    expect:\n{expect}"
    )


def test_each_contact_gets_its_own_variant_and_its_subject_and_copy(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    short, long = contact_with("short"), contact_with("long")
    email_only = "consent: { email: true }, email: a@example.com, first_name: Ann"
    code, out = run_test(
        root,
        case(
            "short variant",
            f"{{ id: {short}, {email_only} }}",
            "      - { send: announce, channel: email, variant: short,"
            ' subject_contains: "Spring: 20% off", text_contains: "20% off (short)" }\n'
            "      - { exit: completed }\n",
        )
        + case(
            "long variant keeps the template's subject",
            f"{{ id: {long}, {email_only} }}",
            "      - { send: announce, variant: long,"
            ' subject_contains: "Spring is here, Ann", text_contains: "15% off (long)" }\n'
            "      - { exit: completed }\n",
        ),
    )
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "2 passed, 0 failed"


def test_a_wrong_variant_fails_and_shows_the_one_given(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    short = contact_with("short")
    code, out = run_test(
        root,
        case(
            "expects the other variant",
            f"{{ id: {short}, email: a@example.com, consent: {{ email: true }}, first_name: A }}",
            "      - { send: announce, variant: long }\n      - { exit: completed }\n",
        ),
    )
    assert code == 1
    assert "+send: announce" in out and "variant 'short'" in out


def test_the_first_receivable_channel_wins_and_the_others_say_why(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    code, out = run_test(
        root,
        case(
            "no push consent and no phone, so email",
            "{ id: c1, email: a@example.com, consent: { email: true, sms: true }, first_name: A }",
            "      - { send: announce, channel: email,"
            ' detail_contains: "via email (push: no push consent; sms: no sms address)" }\n'
            "      - { exit: completed }\n",
        )
        + case(
            "push consent means push",
            "{ id: c1, consent: { push: true, email: true }, email: a@example.com, first_name: A }",
            '      - { send: announce, channel: push, text_contains: "Push:" }\n'
            "      - { exit: completed }\n",
        )
        + case(
            "sms before email",
            "{ id: c1, phone: '+46701234567', email: a@example.com,"
            " consent: { sms: true, email: true }, first_name: A }",
            '      - { send: announce, channel: sms, text_contains: "SMS:" }\n'
            "      - { exit: completed }\n",
        ),
    )
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "3 passed, 0 failed"


def test_no_receivable_channel_is_a_skip_naming_each_one(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    code, out = run_test(
        root,
        case(
            "nothing receivable",
            "{ id: c1, email: a@example.com, first_name: A }",
            "      - { skip: announce, reason: suppressed, detail_contains:"
            ' "push: no push consent; sms: no sms address; email: no email consent" }\n'
            "      - { exit: completed }\n",
        ),
    )
    assert code == 0, out


def test_status_shows_which_channel_each_send_took_and_why_others_were_passed_over(
    tmp_path: Path,
) -> None:
    root = workspace(tmp_path)
    contacts, events = tmp_path / "contacts.jsonl", tmp_path / "events.jsonl"
    contacts.write_text(
        '{"id": "c1", "email": "a@example.com", "consent": {"email": true}, "first_name": "A"}\n'
        '{"id": "c2", "email": "b@example.com", "first_name": "B"}\n',
        "utf-8",
    )
    events.write_text(
        '{"id": "e1", "name": "promo_opted", "contact_id": "c1"}\n'
        '{"id": "e2", "name": "promo_opted", "contact_id": "c2"}\n',
        "utf-8",
    )
    runner = CliRunner()
    for command in (["contacts", "import", str(contacts)], ["ingest", str(events)]):
        result = runner.invoke(cli, ["--workspace", str(root), *command])
        assert result.exit_code == 0, result.output
    out = runner.invoke(cli, ["--workspace", str(root), "status"]).stdout
    assert "announce: 1 sent: variant " in out
    assert "via email (push: no push consent; sms: no sms address)" in out
    assert (
        "announce: 1 suppressed: push: no push consent; sms: no sms address;"
        " email: no email consent" in out
    )

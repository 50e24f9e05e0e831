"""A send naming a subscription topic, through `journey test` and `journey validate`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli

WORKSPACE = """default_locale: en
topics:
  product_news: { title: { en: Product news, de: Produktneuigkeiten } }
  beta_invites: { title: Beta invites, default: unsubscribed }
"""

JOURNEY = """id: launch
name: Launch
kind: engagement
trigger: { event: launched }
steps:
  - id: news
    send: { channel: [sms, email], template: launch/news, topic: product_news }
  - id: beta
    send: { channel: email, template: launch/news, topic: beta_invites }
"""


def workspace(tmp_path: Path, journey: str = JOURNEY) -> Path:
    (tmp_path / "workspace.yaml").write_text(WORKSPACE, "utf-8")
    (tmp_path / "journeys").mkdir()
    (tmp_path / "journeys" / "launch.yaml").write_text(journey, "utf-8")
    folder = tmp_path / "templates" / "launch" / "news"
    folder.mkdir(parents=True)
    for name, text in {
        "subject.txt": "News",
        "body.txt": "News",
        "body.html": "<p>News</p>",
        "sms.txt": "News",
    }.items():
        (folder / name).write_text(text, "utf-8")
    return tmp_path


def run_test(root: Path, contact: str, expect: str) -> tuple[int, str]:
    path = root / "journeys" / "launch.test.yaml"
    path.write_text(
        "journey: launch\ncases:\n  - name: the case\n    start: 2026-04-01T10:00:00Z\n"
        f"    contact: {contact}\n    events: [{{ after: 0s, name: launched }}]\n"
        f"    run_for: 1h\n    expect:\n{expect}",
        "utf-8",
    )
    result = CliRunner().invoke(cli, ["--workspace", str(root), "test", str(path)])
    return result.exit_code, result.stdout + result.stderr


BOTH = "phone: '+46701234567', email: a@example.com, consent: { email: true, sms: true }"


def test_subscribed_by_default_gets_the_topic_and_an_opt_in_topic_is_skipped(
    tmp_path: Path,
) -> None:
    code, out = run_test(
        workspace(tmp_path),
        f"{{ id: c1, {BOTH} }}",
        "      - { send: news, channel: sms }\n"
        "      - { skip: beta, reason: suppressed,"
        " detail_contains: unsubscribed from beta_invites }\n"
        "      - { exit: completed }\n",
    )
    assert code == 0, out


def test_unsubscribed_from_a_topic_on_sms_falls_back_to_email_and_opting_in_counts(
    tmp_path: Path,
) -> None:
    choices = "topics: { product_news: { sms: false }, beta_invites: true }"
    code, out = run_test(
        workspace(tmp_path),
        f"{{ id: c1, {BOTH}, {choices} }}",
        "      - { send: news, channel: email,"
        ' detail_contains: "sms: unsubscribed from product_news" }\n'
        "      - { send: beta, channel: email }\n"
        "      - { exit: completed }\n",
    )
    assert code == 0, out


def test_unsubscribed_from_a_topic_everywhere_skips_its_send_only(tmp_path: Path) -> None:
    code, out = run_test(
        workspace(tmp_path),
        f"{{ id: c1, {BOTH}, topics: {{ product_news: false, beta_invites: true }} }}",
        "      - { skip: news, reason: suppressed }\n"
        "      - { send: beta, channel: email }\n"
        "      - { exit: completed }\n",
    )
    assert code == 0, out


def test_an_unknown_topic_or_channel_is_located_with_a_suggestion(tmp_path: Path) -> None:
    journey = JOURNEY.replace("topic: product_news", "topic: product_newz").replace(
        "[sms, email]", "[sms, emial]"
    )
    root = workspace(tmp_path, journey)
    result = CliRunner().invoke(cli, ["--workspace", str(root), "validate"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    topic = next(line for line in lines if "unknown-topic" in line)
    assert topic.startswith(f"{root / 'journeys' / 'launch.yaml'}:7:")
    assert "there is no topic `product_newz`" in topic
    assert "did you mean `product_news`?" in result.stdout.lower()
    channel = next(line for line in lines if "unknown-channel" in line)
    assert ":7:" in channel and "`emial`" in channel


def test_variant_weights_must_add_up_to_100(tmp_path: Path) -> None:
    journey = JOURNEY.replace(
        "topic: beta_invites }",
        "topic: beta_invites,\n            variants: { a: { weight: 50 }, b: { weight: 40 } } }",
    )
    result = CliRunner().invoke(cli, ["--workspace", str(workspace(tmp_path, journey)), "validate"])
    assert result.exit_code == 1
    assert "variant-weights: variant weights add up to 90, not 100" in result.stdout

"""A send's variants are reported per arm, like a split's, by `journey simulate` and `report`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli
from tests.engine.test_richer_sends import variant_of, workspace


def test_simulate_reports_each_variant_as_an_arm_with_the_contacts_the_hash_gives(
    tmp_path: Path,
) -> None:
    root = workspace(tmp_path)
    contacts, events = tmp_path / "contacts.jsonl", tmp_path / "events.jsonl"
    ids = [f"c{n}" for n in range(40)]
    contacts.write_text(
        "".join(
            json.dumps({"id": i, "email": f"{i}@example.com", "consent": {"email": True},
                        "first_name": "A"}) + "\n"
            for i in ids
        ),
        "utf-8",
    )  # fmt: skip
    events.write_text(
        "".join(
            json.dumps({"id": f"e-{i}", "name": "promo_opted", "contact_id": i,
                        "timestamp": "2026-04-01T10:00:00Z"}) + "\n"
            for i in ids
        ),
        "utf-8",
    )  # fmt: skip
    args = [
        "--workspace", str(root), "simulate", str(root / "journeys" / "promo.yaml"),
        "--contacts", str(contacts), "--events", str(events),
        "--start", "2026-04-01T09:00:00Z", "--for", "1d",
    ]  # fmt: skip
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (split,) = report["splits"]
    assert split["step"] == "announce" and split["of"] == "send"
    expected = {"short": 0, "long": 0}
    for contact_id in ids:
        expected[variant_of(contact_id)] += 1
    assert {arm["name"]: arm["entered"] for arm in split["arms"]} == expected
    # each variant's message went out (it was dead-lettered: its stored payload named the
    # variant, which the delivery could not make a message of)
    assert {arm["name"]: arm["sent"] for arm in split["arms"]} == expected
    assert report["steps"]["announce"]["outcomes"] == {"sent": 40}
    assert not any(arm["holdout"] for arm in split["arms"])
    table = CliRunner().invoke(cli, args).stdout
    assert "Variants of send `announce` per arm" in table and "short" in table

"""A contacts or events file with a line that is not a JSON object: `journey simulate`
names the file and line and exits 2, on one job, on several and for a forecast —
never an internal error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.test_simulate import EXAMPLES, population, simulate

BROKEN = {
    "invalid JSON": ('{"id": "x", broken\n', "invalid JSON: Expecting property name"),
    "not an object": ("[1, 2]\n", "each line must be a JSON object"),
}


@pytest.mark.parametrize("mode", [[], ["--jobs", "2"], ["--sample", "2"]])
@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_a_broken_contacts_line_is_named_by_file_and_line(
    tmp_path: Path, broken: str, mode: list[str]
) -> None:
    contacts = population(tmp_path, 3)
    line, words = BROKEN[broken]
    contacts.write_text(contacts.read_text() + line)
    code, _, err = simulate(
        str(EXAMPLES / "onboarding.yaml"), "--contacts", str(contacts), "--enter-all", *mode
    )
    assert code == 2, err
    assert f"journey: error: {contacts}:4: {words}" in err
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize("mode", [[], ["--jobs", "2"]])
def test_a_broken_events_line_is_named_by_file_and_line(tmp_path: Path, mode: list[str]) -> None:
    contacts = population(tmp_path, 3)
    events = tmp_path / "events.jsonl"
    events.write_text('{"name": "signed_up", oops\n')
    code, _, err = simulate(
        str(EXAMPLES / "onboarding.yaml"),
        "--contacts", str(contacts), "--events", str(events), *mode,
    )  # fmt: skip
    assert code == 2, err
    assert f"journey: error: {events}:1: invalid JSON" in err
    assert "internal error" not in err

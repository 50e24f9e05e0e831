"""The generators of checked-in files are commands: `--help` helps, `--check` checks."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

GENERATORS = (
    "journey.cli.docgen",
    "journey.schema.docgen",
    "journey.schema.tooltips",
    "journey.diagnostic_rules",
)


@pytest.mark.parametrize("module", GENERATORS)
def test_help_prints_help_and_writes_nothing(
    module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        importlib.import_module(module).main(["--help"])
    assert stop.value.code == 0
    assert "--check" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("module", GENERATORS)
def test_the_checked_in_files_are_up_to_date(module: str) -> None:
    assert importlib.import_module(module).main(["--check"]) == 0


def test_check_names_a_stale_file_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text("old\n", "utf-8")
    from journey.cli import docgen

    assert docgen.main([str(stale), "--check"]) == 1
    assert f"{stale} is stale" in capsys.readouterr().err
    assert stale.read_text("utf-8") == "old\n"


def test_an_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    from journey.cli import docgen

    with pytest.raises(SystemExit) as stop:
        docgen.main(["--frobnicate"])
    assert stop.value.code == 2

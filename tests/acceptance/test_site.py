"""A marketer builds the review site from the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def test_journey_site_builds_one_journey_into_the_given_folder(tmp_path: Path) -> None:
    out = tmp_path / "review"
    result = CliRunner().invoke(
        cli,
        [
            "--workspace",
            str(ROOT),
            "site",
            str(ROOT / "journeys" / "examples" / "loyalty_birthday.yaml"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "built 1 journey page in" in result.output and "no problems" in result.output
    assert (out / "index.html").is_file() and (out / "journeys" / "loyalty-birthday.html").is_file()
    assert (out / "assets" / "site.css").is_file()
    assert f"open {(out / 'index.html').resolve().as_uri()}" in result.output


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--workspace", str(ROOT), "site", str(tmp_path / "nope"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "no such file or folder" in result.output

"""`journey test` says why a contact exited with `error`: the step, the template
and line, and the error, as the daemon log does."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli
from tests.support.cart_workspace import write_cart_workspace


def run_tests(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), "test"])
    return result.exit_code, result.stdout


def test_a_render_failure_shows_the_template_line_and_the_error(tmp_path: Path) -> None:
    write_cart_workspace(tmp_path)
    test_file = tmp_path / "journeys" / "cart.test.yaml"
    test_file.write_text(test_file.read_text().replace("total: 12.5", "total: twelve"))
    code, out = run_tests(tmp_path)
    assert code == 1
    (line,) = [x for x in out.splitlines() if x.lstrip().startswith("+exit: error")]
    assert "step remind failed:" in line
    assert "cart/reminder/body.html:3:" in line
    assert "format_currency: 'twelve' is not a number" in line


def test_a_case_expecting_the_error_still_passes(tmp_path: Path) -> None:
    write_cart_workspace(tmp_path)
    test_file = tmp_path / "journeys" / "cart.test.yaml"
    text = test_file.read_text().replace("total: 12.5", "total: twelve")
    text = text.replace(
        '      - { send: remind, at: "2026-03-02T10:00:00Z", text_contains: "1 × Mug" }\n'
        "      - { exit: completed }\n",
        "      - { exit: error }\n",
    )
    test_file.write_text(text)
    code, out = run_tests(tmp_path)
    assert code == 0, out

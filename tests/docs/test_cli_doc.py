"""docs/cli.md is rendered from the click commands and kept up to date."""

from __future__ import annotations

from pathlib import Path

import click

from journey.cli.docgen import EXIT_CODES, main, render_cli_reference
from journey.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "cli.md"


def command_paths() -> dict[str, click.Command]:
    """'validate', 'i18n check', … -> the command, as the group lists them."""
    ctx = click.Context(cli, info_name="journey")
    found: dict[str, click.Command] = {}
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None
        found[name] = command
        if isinstance(command, click.Group):
            sub_ctx = click.Context(command, info_name=name, parent=ctx)
            for sub in command.list_commands(sub_ctx):
                found[f"{name} {sub}"] = command.get_command(sub_ctx, sub)  # type: ignore[assignment]
    return found


def test_cli_page_is_up_to_date() -> None:
    assert PAGE.read_text("utf-8") == render_cli_reference(), (
        "docs/cli.md is stale: run `python -m journey.cli.docgen`"
    )


def test_every_command_and_option_is_documented() -> None:
    text = render_cli_reference()
    paths = command_paths()
    assert {"validate", "test", "preview", "i18n check", "contacts import"} <= paths.keys()
    for path, command in paths.items():
        assert f"# journey {path}\n" in text, path
        for param in command.params:
            if isinstance(param, click.Option):
                assert f"`{param.opts[0]}" in text or f" {param.opts[0]}" in text, (path, param)


def test_every_leaf_command_has_its_own_exit_codes() -> None:
    leaves = {p for p, c in command_paths().items() if not isinstance(c, click.Group)}
    assert sorted(leaves - EXIT_CODES.keys()) == []
    assert sorted(EXIT_CODES.keys() - leaves) == [], "exit codes for a command that is gone"


def test_check_mode_reports_a_stale_page(tmp_path: Path) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text("old\n", "utf-8")
    assert main([str(stale), "--check"]) == 1
    assert main([str(stale)]) == 0
    assert main([str(stale), "--check"]) == 0

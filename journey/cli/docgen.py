"""Render the command-line reference (``docs/cli.md``) from the click commands themselves.

Usage lines, help texts and options come from the same objects `--help` prints,
so the page cannot drift from the tool: a test re-renders it and compares.
Exit codes are not part of click's model, so they are kept here, next to the
renderer; a command without an entry gets the convention every command follows.
Regenerate with ``python -m journey.cli.docgen``.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import click

from journey.cli.main import cli
from journey.generated_files import generator_main

DEFAULT_OUTPUT = Path("docs/cli.md")
CONVENTION = "0 success · 1 problems found in your files · 2 usage or environment error"

# command path (without `journey`) -> its exit codes, as the command implements them
EXIT_CODES: dict[str, str] = {
    "init": "0 workspace written · 2 the folder is not empty (without `--force`), or cannot be"
    " written",
    "validate": "0 no problems (warnings allowed unless `--strict`) · 1 problems found · "
    "2 usage error",
    "compile": "0 plan printed · 1 the journey has errors · 2 usage error",
    "graph": "0 diagram printed · 1 the journey has errors · 2 usage error",
    "preview": "0 message rendered · 1 the journey has errors · 2 usage error (e.g. unknown step,"
    " an --event that does not fit its declaration)",
    "simulate": "0 simulated · 1 the journey has errors · 2 usage error or unusable input file",
    "test": "0 every case passed · 1 a case failed · 2 a test file is invalid, or usage error",
    "run": "0 stopped by SIGTERM/SIGINT (or `--once`/`--demo` done) · "
    "2 another daemon holds the database, or usage error · "
    "3 a stop did not finish within `--stop-within` seconds",
    "deliveries requeue": "0 done (also when nothing matched) · 2 usage error",
    "schema": "0 schema printed or written · 2 usage error (e.g. --out cannot be written)",
    "secret rotate": "0 rotated · 2 usage error (no state store)",
    "ingest": "0 every line stored · 1 some lines bad (reported and skipped) · 2 usage error",
    "contacts import": "0 every line stored · 1 some lines bad (reported and skipped) · "
    "2 usage error",
    "status": "0 always (an empty store prints `no state yet`) · 2 usage error",
    "store copy": "0 every row copied · 2 a daemon holds either store, the target is not "
    "empty, or usage error (nothing is copied)",
    "report": "0 report printed (an empty store prints `no state yet`) · 2 usage error "
    "(an unknown journey, a bad `--since`)",
    "diff": "0 report printed (also when the versions differ) · 1 a version is invalid · "
    "2 usage error",
    "i18n extract": "0 template written · 2 usage error",
    "i18n check": "0 every listed locale is complete · 1 a locale misses a string · 2 usage error",
    "site": "0 site built, problems shown on the pages (or server stopped) · 2 usage error",
}


def render_cli_reference() -> str:
    root = click.Context(cli, info_name="journey", **cli.context_settings)
    lines = [
        "# Command line",
        "",
        "<!-- Generated from the click commands by `python -m journey.cli.docgen`;"
        " do not edit by hand. -->",
        "",
        "Every command, its options and exit codes: the same text as `journey COMMAND --help`.",
        "Errors in your files are reported as `PATH:LINE:COL: error|warning CODE: message`"
        " (see [Diagnostics](diagnostics.md)); a problem with the environment (a missing"
        " file, a locked database) is one line on stderr and exit 2.",
        "",
        *_command_section(cli, root, heading="## journey", path=""),
    ]
    for name, command, ctx in _subcommands(cli, root):
        lines += _command_section(command, ctx, heading=f"## journey {name}", path=name)
        if isinstance(command, click.Group):
            for sub_name, sub, sub_ctx in _subcommands(command, ctx):
                full = f"{name} {sub_name}"
                lines += _command_section(sub, sub_ctx, heading=f"### journey {full}", path=full)
    return "\n".join(lines).rstrip() + "\n"


def _subcommands(
    group: click.Group, parent: click.Context
) -> list[tuple[str, click.Command, click.Context]]:
    found = []
    for name in group.list_commands(parent):
        command = group.get_command(parent, name)
        if command is not None and not command.hidden:
            found.append((name, command, click.Context(command, info_name=name, parent=parent)))
    return found


def _command_section(
    command: click.Command, ctx: click.Context, *, heading: str, path: str
) -> list[str]:
    lines = [heading, "", "```text", command.get_usage(ctx), "```", ""]
    help_text = _help_text(command)
    if help_text:
        lines += [help_text, ""]
    options = [
        record
        for param in command.get_params(ctx)
        if isinstance(param, click.Option) and (record := param.get_help_record(ctx))
    ]
    if options:
        lines += ["| option | meaning |", "| --- | --- |"]
        lines += [f"| `{_cell(opts)}` | {_cell(text)} |" for opts, text in options]
        lines.append("")
    if isinstance(command, click.Group):
        names = ", ".join(f"`{name}`" for name, _, _ in _subcommands(command, ctx))
        lines += [f"Commands: {names}.", ""]
    else:
        lines += [f"Exit codes: {EXIT_CODES.get(path, CONVENTION)}.", ""]
    return lines


def _help_text(command: click.Command) -> str:
    """The help as written, without click's `\\b` no-rewrap markers."""
    text = inspect.cleandoc(command.help or "")
    kept = [line for line in text.splitlines() if line.strip() != "\b"]
    return "\n".join(kept).split("\f")[0].strip()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    """Write docs/cli.md (or the given path); `--check` exits 1 when it is stale."""
    return generator_main(
        argv,
        prog="journey.cli.docgen",
        description="Write the command-line reference (docs/cli.md) from the click commands.",
        render=lambda output: {output or DEFAULT_OUTPUT: render_cli_reference()},
    )


if __name__ == "__main__":
    sys.exit(main())

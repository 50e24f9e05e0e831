"""The `journey` command group.

Sub-commands are imported only when invoked, so `journey validate` in CI does
not pay for the daemon's imports. Each lives in its own module under
``journey.cli`` and exposes a click command named ``command``.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import click

from journey import __version__
from journey.errors import JourneyError

# name -> module under journey.cli that defines `command`
COMMANDS: dict[str, str] = {
    "init": "init",
    "validate": "validate",
    "compile": "compile",
    "graph": "graph",
    "preview": "preview",
    "i18n": "i18n",
    "simulate": "simulate",
    "test": "test",
    "run": "run",
    "ingest": "ingest",
    "contacts": "contacts",
    "deliveries": "deliveries",
    "secret": "secret",
    "status": "status",
    "store": "store",
    "report": "report",
    "schema": "schema",
    "diff": "diff",
    "site": "site",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._module(name) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = self._module(cmd_name)
        if module is None:
            return None
        command: click.Command = module.command
        return command

    def invoke(self, ctx: click.Context) -> Any:
        """Environment failures become one line and exit 2, here and under CliRunner alike."""
        try:
            return super().invoke(ctx)
        except JourneyError as exc:
            click.echo(f"journey: error: {exc}", err=True)
            ctx.exit(2)

    @staticmethod
    def _module(name: str) -> Any:
        if name not in COMMANDS:
            return None
        try:
            return importlib.import_module(f"journey.cli.{COMMANDS[name]}")
        except ModuleNotFoundError as exc:
            if exc.name == f"journey.cli.{COMMANDS[name]}":
                return None
            raise


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="journey")
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Workspace folder (default: the first folder upwards with workspace.yaml).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None, debug: bool) -> None:
    """Customer-lifecycle journeys as YAML in git."""
    ctx.ensure_object(dict)
    ctx.obj["workspace"] = workspace
    ctx.obj["debug"] = debug


def main(argv: list[str] | None = None) -> None:
    """Entry point: no input ever produces a Python traceback (unless --debug)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        # without standalone mode click *returns* the code of ctx.exit(N)
        result = cli.main(args=args, prog_name="journey", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code in (1, 2) else exc.exit_code)
    except JourneyError as exc:
        click.echo(f"journey: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        if "--debug" in args:
            traceback.print_exc()
        else:
            click.echo(
                f"journey: internal error: {type(exc).__name__}: {exc} "
                "(run with --debug for details)",
                err=True,
            )
        sys.exit(2)
    sys.exit(result if isinstance(result, int) else 0)

"""`journey site`: build the review site (and serve it with --serve)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import click

from journey.cli.common import require_files, workspace_root
from journey.errors import JourneyError, UsageError


@click.command("site")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("site"),
    show_default=True,
    help="Folder to write the site into.",
)
@click.option("--serve", is_flag=True, help="Serve on 127.0.0.1 and rebuild on change.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A state store: every journey also gets a results page (funnel, arms, days) from it.",
)
@click.pass_context
def command(
    ctx: click.Context,
    paths: tuple[str, ...],
    out_dir: Path,
    serve: bool,
    port: int,
    database: Path | None,
) -> None:
    """Build a static HTML site of the journeys under PATHS (default: journeys/).

    Every journey gets a page: its step diagram, every message rendered in every
    locale for sample contacts, its tests and their results, and a 30-day
    forecast. The folder works offline, from file:// or any static host.
    """
    try:
        from journey.site import build_site
    except ModuleNotFoundError as exc:
        if exc.name != "grandalf":
            raise
        raise UsageError(
            "journey site lays out diagrams with grandalf: pip install 'journey[site]'"
        ) from exc

    root = workspace_root(ctx, paths)
    files = require_files(paths)

    def build() -> None:
        report = build_site(root, out_dir, files, database=database)
        problems = report.problem_count
        pages = len(report.journeys)
        click.echo(
            f"built {pages} journey page{'' if pages == 1 else 's'} in {out_dir}/ "
            f"({report.seconds:.1f} s): "
            + (f"{problems} problem(s) shown on the pages" if problems else "no problems")
        )

    build()
    if not serve:
        click.echo(f"open {(out_dir / 'index.html').resolve().as_uri()}")
        return
    _serve(root, out_dir, files, port, build)


def _serve(
    root: Path, out_dir: Path, files: list[Path], port: int, build: Callable[[], None]
) -> None:
    from journey.site.serve import SiteServer, Watcher, watched_paths

    def rebuild() -> None:
        try:
            build()
        except JourneyError as exc:
            click.echo(f"journey: rebuild failed, still serving the last site: {exc}", err=True)

    try:
        server = SiteServer(out_dir, port=port).start()
    except OSError as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror}") from exc
    click.echo(f"serving {server.url} (rebuilds on change; Ctrl-C stops)")
    stop = threading.Event()
    try:
        Watcher(watched_paths(root, files), rebuild).run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.stop()

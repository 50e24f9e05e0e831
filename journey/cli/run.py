"""`journey run`: the scheduler daemon (the main job). `--demo` runs the bundled sample."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import click

from journey.cli.common import DATABASE_OPTION, workspace_root
from journey.errors import UsageError


@click.command("run")
@click.option("--once", is_flag=True, help="Do everything due now, then exit.")
@click.option("--demo", is_flag=True, help="Run the example journeys on a sample population, fast.")
@click.option(
    "--tick",
    "tick_seconds",
    type=click.FloatRange(min=0.05),
    default=1.0,
    show_default=True,
    help="Seconds between looks at due work.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Logs on stderr (state changes, and every library's messages and tracebacks): "
    "text, or one JSON object per line.",
)
@click.option(
    "--http/--no-http",
    default=None,
    help="Serve the HTTP API (default: on when the bearer-token variable is set).",
)
@click.option(
    "--stall-after",
    "stall_seconds",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="/healthz answers 503 when the work loop made no progress for this many seconds.",
)
@click.option(
    "--stop-within",
    "stop_seconds",
    type=click.FloatRange(min=1),
    default=10.0,
    show_default=True,
    help="On SIGTERM, exchanges in flight are aborted; past this the process exits (status 3).",
)
@click.option(
    "--shard-lease",
    "shard_lease_seconds",
    type=click.FloatRange(min=1),
    default=15.0,
    show_default=True,
    help="PostgreSQL: seconds a worker's shard lease runs unrenewed (renewed every third); "
    "a dead worker's shards move to the others within about this plus a third.",
)
@click.option(
    "--days",
    type=click.IntRange(1, 90),
    default=21,
    show_default=True,
    help="With --demo: simulated days.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=None,
    help="With --demo on a PostgreSQL --database: worker processes sharing it  [default: 2].",
)
@DATABASE_OPTION
@click.pass_context
def command(
    ctx: click.Context,
    once: bool,
    demo: bool,
    tick_seconds: float,
    log_format: str,
    http: bool | None,
    stall_seconds: float,
    stop_seconds: float,
    shard_lease_seconds: float,
    days: int,
    workers: int | None,
    database: str | None,
) -> None:
    """Enroll, advance, render and deliver until stopped (SIGTERM/SIGINT; SIGHUP reloads).

    One daemon per SQLite file: a second one exits with status 2. On PostgreSQL any number
    of workers share the database, each leasing a fair share of the contacts' shards.
    """
    from journey.logsetup import LogFormat, logging_to

    root = workspace_root(ctx)
    fmt = cast(LogFormat, log_format)
    with logging_to(fmt) as handler:
        if demo:
            from journey.demo.run import run_demo
            from journey.store.url import is_postgres

            if database and not is_postgres(database):
                raise UsageError(
                    "--demo keeps its own SQLite file; --database takes a PostgreSQL URL"
                    " (postgresql://…) for the demo"
                )
            if workers is not None and not database:
                raise UsageError(
                    "--workers needs --database postgresql://… (one daemon per SQLite file)"
                )
            code = run_demo(
                root,
                days=days,
                log_format=fmt,
                logs=fmt == "json",
                database=database,
                workers=workers or 2,
            )
            ctx.exit(code)
        if workers is not None:
            raise UsageError("--workers is for --demo; start one journey run per worker instead")
        from journey.daemon.scheduler import run_forever, run_once, stop_early
        from journey.daemon.service import Daemon, DaemonOptions

        daemon = Daemon(
            DaemonOptions(
                root=root,
                tick_seconds=tick_seconds,
                log_format=fmt,
                stall_seconds=stall_seconds,
                stop_seconds=stop_seconds,
                shard_lease=timedelta(seconds=shard_lease_seconds),
                database=database,
            ),
            stream=handler.stream,
            log_lock=handler.lock,
        )
        if not once:  # a stop asked while the daemon opens is kept, not fatal
            stop_early(daemon)
        daemon.open()
        ctx.exit(run_once(daemon) if once else run_forever(daemon, http=http))

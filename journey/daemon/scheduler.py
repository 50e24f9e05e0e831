"""`journey run` on the real clock: APScheduler jobs around the Daemon, signals, the HTTP API.

Never one APScheduler job per contact: the store indexes what is due (enrollment
due times, per-contact trigger instants, journey-wide cron "next fire" with its
last fire), and a handful of jobs look at it:

- ``tick`` (interval, default 1 s): inbox, time triggers, due enrollments, deliveries;
- ``reload`` (every 2 s): re-validate when a watched file changed, or on SIGHUP;
- ``retention`` (hourly): forget events older than `event_retention`.

Every job has ``coalesce=True, max_instances=1`` and a misfire grace time, and
they share one worker thread, so store work is never concurrent. Catching up
after downtime is the store's business: a missed cron fire runs once, from its
stored next-fire instant, and the next one is computed from now.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from journey.daemon.hooks import start_http
from journey.daemon.service import Daemon
from journey.errors import StoreError
from journey.localtime import UTC_ZONE, subtract_duration
from journey.store.identity import StoreReplaced

RELOAD_SECONDS = 2.0
MISFIRE_GRACE_SECONDS = 30
# Exit status when a stop did not finish within `stop_seconds` (leases are released at next start).
STOP_TIMEOUT_STATUS = 3


def build_scheduler(daemon: Daemon) -> BackgroundScheduler:
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
        timezone=UTC,
    )
    now = datetime.now(UTC)
    scheduler.add_job(
        daemon.tick,
        IntervalTrigger(seconds=daemon.options.tick_seconds, timezone=UTC),
        id="tick",
        next_run_time=now,
    )
    scheduler.add_job(
        daemon.poll_reload, IntervalTrigger(seconds=RELOAD_SECONDS, timezone=UTC), id="reload"
    )
    scheduler.add_job(
        lambda: _retention(daemon), IntervalTrigger(hours=1, timezone=UTC), id="retention"
    )

    def wake() -> None:
        with contextlib.suppress(Exception):  # shutting down: the job is gone
            scheduler.modify_job("tick", next_run_time=datetime.now(UTC))

    daemon.on_wake = wake
    return scheduler


def _retention(daemon: Daemon) -> None:
    """Hourly; a store gone or failing is a log line (or the daemon's stop), never a traceback
    out of APScheduler."""
    try:
        with daemon.busy():
            workspace = daemon.catalog.workspace_or_fail
            cutoff = subtract_duration(daemon.clock.now(), workspace.event_retention, UTC_ZONE)
            removed = daemon.store.delete_events_before(cutoff)
    except StoreReplaced as exc:
        daemon.check_store()
        daemon.log.emit("error", error=f"retention: {exc}")
        return
    except StoreError as exc:  # unreachable now: tried again in an hour
        daemon.log.emit("error", error=f"retention: {exc}")
        return
    if removed:
        daemon.log.emit("retention", events_removed=removed)


def stop_early(daemon: Daemon) -> None:
    """Until run_forever takes over: SIGTERM/SIGINT mark the daemon stopping, so a stop
    asked during start-up (recovery can take a while) ends it cleanly, not by the signal."""

    def on_stop(signum: int, frame: FrameType | None) -> None:
        daemon.stopping.set()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)


def run_forever(daemon: Daemon, *, http: bool | None) -> int:
    """Until SIGTERM/SIGINT; SIGHUP reloads. Returns the exit status."""
    stop = threading.Event()
    reload_asked = threading.Event()

    def on_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()
        daemon.stopping.set()

    def on_hup(signum: int, frame: FrameType | None) -> None:
        reload_asked.set()

    previous: dict[signal.Signals, Any] = {}
    for signum, handler in (
        (signal.SIGTERM, on_stop),
        (signal.SIGINT, on_stop),
        (signal.SIGHUP, on_hup),
    ):
        previous[signum] = signal.signal(signum, handler)
    if daemon.stopping.is_set():  # SIGTERM came while the daemon was opening
        stop.set()
    scheduler = build_scheduler(daemon)
    server = start_http(daemon, http)
    scheduler.start()
    try:
        while not stop.wait(0.2):
            if daemon.check_store() is not None:
                break
            if reload_asked.is_set():
                reload_asked.clear()
                scheduler.add_job(
                    lambda: daemon.reload("SIGHUP"), id="sighup", replace_existing=True
                )
    finally:
        daemon.abort_exchanges()  # a peer that trickles or hangs must not hold the stop
        backstop = _backstop(daemon.options.stop_seconds)
        if server is not None:
            server.shutdown()
            server.server_close()
        scheduler.shutdown(wait=True)
        daemon.close()
        backstop.cancel()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return _exit_status(daemon)


def _backstop(seconds: float) -> threading.Timer:
    """Whatever still holds the stop after `seconds`, the process ends then."""

    def give_up() -> None:
        sys.stderr.write(
            f'{{"event": "stop-timeout", "seconds": {seconds:g}, "exit": {STOP_TIMEOUT_STATUS}}}\n'
        )
        sys.stderr.flush()
        os._exit(STOP_TIMEOUT_STATUS)

    timer = threading.Timer(seconds, give_up)
    timer.daemon = True
    timer.start()
    return timer


def run_once(daemon: Daemon) -> int:
    """`--once`: do everything due now, then stop (cron jobs in CI, tests)."""
    try:
        daemon.tick()
    finally:
        daemon.close()
    return _exit_status(daemon)


def _exit_status(daemon: Daemon) -> int:
    """0 after a requested stop; a store that vanished is an error (one line, exit 2)."""
    if daemon.fatal is not None:
        raise StoreReplaced(daemon.fatal)
    return 0

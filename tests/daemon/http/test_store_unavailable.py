"""A store that cannot be reached now (PostgreSQL restarting, a broken connection) is 503
with Retry-After on every route that needs it, as a locked SQLite file is: never a 500."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg

from journey.records import StoreUnavailable
from tests.daemon.http.live_api import Api, bare_runner, runner_handlers, signed_up, start, stop


def test_a_postgres_server_away_is_503_with_retry_after_never_500(tmp_path: Path) -> None:
    runner, store = bare_runner(tmp_path)

    def restarting(events: list[Any]) -> Sequence[str]:  # what psycopg raises then
        raise psycopg.errors.AdminShutdown("terminating connection due to administrator command")

    def unreachable(changes: list[Any]) -> Sequence[str]:  # what the store makes of it
        raise StoreUnavailable("the state store postgresql://db/journey cannot be reached")

    def no_metrics() -> str:
        raise psycopg.OperationalError("connection refused")

    handlers = replace(
        runner_handlers(runner, store),
        ingest_events=restarting,
        change_contacts=unreachable,
        metrics=no_metrics,
    )
    server = start(handlers)
    api = Api(server=server, store=store, runner=runner)
    try:
        for method, path, body in (
            ("POST", "/v1/events", signed_up()),
            ("POST", "/v1/contacts", {"id": "c1"}),
            ("GET", "/metrics", None),
        ):
            status, headers, data = api.call(method, path, body)
            assert (status, headers["Retry-After"]) == (503, "1"), (path, data)
            assert b"Traceback" not in data and b"administrator" not in data
    finally:
        stop(server, store)

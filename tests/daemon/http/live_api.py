"""A live HTTP API for tests: a real server on 127.0.0.1 over a real SQLite store and a Runner."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journey.assembly import VirtualRun, virtual_shell
from journey.clock import VirtualClock
from journey.compiler.serialize import with_hash
from journey.daemon.http import HttpHandlers, JourneyHTTPServer, make_server, serve_in_thread
from journey.engine.context import EngineSettings
from journey.engine.runner import Runner
from journey.ingest import ContactChange
from journey.ingest.dedup import take_new
from journey.model import AttributeUpdate, Event, EventTrigger, Plan, UpdateStep
from journey.store.sqlite import SQLiteStore
from journey.workspace import HttpSettings

TOKEN = "Zt3p9QkV1xw7RmB4yN0sLd8Hc2GfJa6u"  # 32 characters, as the server demands
SECRET = "unsubscribe-secret"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class NoRenderer:
    def render(self, **_: Any) -> Any:
        raise AssertionError("nothing here renders")

    def render_string(self, source: str, context: Any) -> str:
        raise AssertionError("nothing here renders")


def welcome_plan() -> Plan:
    """signed_up -> mark the contact `welcomed`: a trigger firing is visible in the store."""
    return with_hash(
        Plan(
            journey_id="welcome",
            name="Welcome",
            kind="onboarding",
            trigger=EventTrigger(event="signed_up"),
            steps=(
                UpdateStep(
                    id="mark",
                    next="end",
                    updates=(AttributeUpdate(attribute="welcomed", value=True),),
                ),
            ),
        )
    )


@dataclass
class Api:
    server: JourneyHTTPServer
    store: SQLiteStore
    runner: Runner

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = TOKEN,
        content_type: str = "application/json",
        raw: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.server.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        status, headers, data = self.call(method, path, body, **kw)
        assert headers["Content-Type"].startswith("application/json"), data
        return status, json.loads(data)


def runner_handlers(runner: Runner, store: SQLiteStore) -> HttpHandlers:
    """What the daemon does, in small: one lock around the (single-threaded) runner."""
    lock = threading.Lock()

    def ingest(events: list[Event]) -> Sequence[str]:
        with lock, store.transaction():
            handle = runner.handle_event
            return take_new(events, store.events_by_id, lambda new: [*map(handle, new)])

    def change(changes: list[ContactChange]) -> Sequence[str]:
        with lock:
            outcomes = []
            for c in changes:
                existed = store.get_contact(c.id) is not None
                runner.change_contact(c)
                outcomes.append(
                    ("deleted" if existed else "absent")
                    if c.delete
                    else ("updated" if existed else "created")
                )
            return outcomes

    def unsubscribe(contact_id: str, journey_id: str) -> None:
        with lock:
            runner.change_contact(
                ContactChange(id=contact_id, fields={"consent": {"email": False}})
            )

    def metrics() -> str:
        return (
            "# TYPE journey_contacts gauge\n"
            f"journey_contacts {store.count_contacts()}\n"
            f'journey_enrollments_active{{journey="welcome"}} '
            f"{store.journey_counts('welcome').active}\n"
        )

    return HttpHandlers(
        ingest_events=ingest,
        change_contacts=change,
        metrics=metrics,
        unsubscribe=unsubscribe,
        health=lambda: {"status": "ok"},
        now=runner.clock.now,
    )


def start(
    handlers: HttpHandlers, *, timeout: float = 2.0, max_waiting: int = 512, **settings: Any
) -> JourneyHTTPServer:
    env = {"JOURNEY_TOKEN": TOKEN, "JOURNEY_SECRET": SECRET}
    server = make_server(
        HttpSettings(port=0, **settings),
        handlers,
        env=env,
        timeout=timeout,
        max_waiting=max_waiting,
    )
    serve_in_thread(server, poll_interval=0.02)
    return server


def stop(server: JourneyHTTPServer, store: SQLiteStore, *, within: float = 15.0) -> None:
    """Stop the server, let requests still being served finish, then close the store.

    Closing a SQLite connection while a worker thread commits on it crashes the
    process, so the store goes last (the daemon holds its busy lock for the same reason).
    """
    server.shutdown()
    deadline = time.monotonic() + within
    while server.connection_counts()["serving"] and time.monotonic() < deadline:
        time.sleep(0.01)
    server.server_close()
    store.close()


def signed_up(contact_id: str = "c1", **fields: Any) -> dict[str, Any]:
    return {
        "id": f"evt-{contact_id}",
        "name": "signed_up",
        "contact_id": contact_id,
        "timestamp": "2026-03-02T12:55:00+01:00",
        **fields,
    }


def read_all(conn: socket.socket) -> bytes:
    """Until the server closes: it must close after refusing a body."""
    chunks = []
    while chunk := conn.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def bare_runner(tmp_path: Path) -> tuple[Runner, SQLiteStore]:
    store = SQLiteStore(tmp_path / "bare.db")
    run = VirtualRun(renderer=NoRenderer(), settings=EngineSettings())
    runner = virtual_shell({}, VirtualClock(NOW), run, store=store).runner
    return runner, store

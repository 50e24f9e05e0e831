"""Under `journey test` a message is delivered as under `journey run`: the same retry
schedule, the same send-time gate, the same `journey.sent` / `journey.failed`."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

from journey.channels.base import WebhookRequest
from journey.channels.retry import RetryPolicy
from journey.errors import DeliveryError
from journey.localtime import parse_instant as at
from journey.model import Message
from tests.engine.engine_world import World
from tests.engine.test_sends import plan, send


def _refuse_twice() -> object:
    seen: list[str] = []

    def rule(item: Message | WebhookRequest) -> DeliveryError | None:
        seen.append(item.delivery_key)
        return DeliveryError("away", permanent=False) if len(seen) <= 2 else None

    return rule


def _events(world: World, name: str) -> list[tuple[str, str]]:
    conn = sqlite3.connect(world.tmp / "state.db")
    try:
        return conn.execute(
            "SELECT timestamp, properties FROM events WHERE name = ? ORDER BY timestamp", (name,)
        ).fetchall()
    finally:
        conn.close()


def test_a_refused_message_is_retried_on_the_daemons_schedule(world: World) -> None:
    world.sink.failures["email"] = _refuse_twice()  # type: ignore[assignment]
    world.load(plan("j", send("hello")))
    world.contact(id="c1")
    world.event("go")
    start = world.clock.now()
    world.finish(timedelta(hours=2))
    [message] = world.sink.messages
    key = message.delivery_key
    policy = RetryPolicy()
    first = policy.after_failure(
        attempt=1, now=start, error=DeliveryError("x", permanent=False), delivery_key=key
    )
    assert first is not None
    second = policy.after_failure(
        attempt=2, now=first, error=DeliveryError("x", permanent=False), delivery_key=key
    )
    [(sent_at, properties)] = _events(world, "journey.sent")
    assert at(sent_at) == second
    assert json.loads(properties)["channel"] == "email"


def test_consent_withdrawn_before_the_retry_suppresses_it(world: World) -> None:
    world.sink.failures["email"] = _refuse_twice()  # type: ignore[assignment]
    world.load(plan("j", send("hello")))
    world.contact(id="c1")
    world.event("go")  # the first attempt is refused
    world.contact(id="c1", consent={"email": False})
    world.finish(timedelta(hours=2))
    assert world.sink.messages == []
    assert _events(world, "journey.sent") == []

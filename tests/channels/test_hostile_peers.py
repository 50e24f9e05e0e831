"""Peers that trickle, hang or hang up: each exchange ends by its deadline, in a known state."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from journey.channels import build_channel
from journey.channels.base import ChannelImpl, WebhookRequest
from journey.clock import VirtualClock
from journey.errors import DeliveryError, DeliveryInterrupted, UnknownOutcome
from journey.model import Channel, Message
from tests.support.hostile_peers import HostileHttp, HostileSmtp

# Each read gets 1 s, longer than the peers' 0.2 s between bytes: only a total deadline ends it.
STEP_TIMEOUT = 1
DEADLINE = 1.5


def smtp(port: int, tmp_path: Path, clock: VirtualClock, **settings: Any) -> ChannelImpl:
    config = Channel(
        name="email",
        kind="smtp",
        message="email",
        settings={
            "host": "127.0.0.1",
            "port": port,
            "from": "Acme <news@acme.example>",
            "timeout": STEP_TIMEOUT,
            "deadline": DEADLINE,
            "unsubscribe_base_url": "https://mail.acme.example",
            **settings,
        },
    )
    return build_channel(config, root=tmp_path, env={}, clock=clock)


def webhook(port: int, tmp_path: Path, clock: VirtualClock) -> ChannelImpl:
    config = Channel(
        name="hooks",
        kind="webhook",
        message="webhook",
        settings={
            "url": f"http://127.0.0.1:{port}/in",
            "timeout": STEP_TIMEOUT,
            "deadline": DEADLINE,
        },
    )
    return build_channel(config, root=tmp_path, env={}, clock=clock)


def timed(call: Callable[[], object]) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        call()
    return caught.value, time.monotonic() - started


def test_smtp_peer_trickling_its_greeting_is_cut_off_at_the_deadline(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    with HostileSmtp("trickle") as peer:
        channel = smtp(peer.port, tmp_path, clock)
        error, seconds = timed(lambda: channel.deliver(make_message()))
        channel.close()
    assert isinstance(error, DeliveryError) and not isinstance(error, UnknownOutcome)
    assert not error.permanent  # retried later, like any peer that was away
    assert "1.5 s deadline" in str(error)
    assert seconds < DEADLINE + 2


def test_smtp_answer_trickled_after_the_final_dot_is_an_unknown_outcome(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    with HostileSmtp("trickle_after_dot") as peer:
        channel = smtp(peer.port, tmp_path, clock)
        error, seconds = timed(lambda: channel.deliver(make_message()))
        channel.close()
        assert len(peer.messages) == 1
    assert isinstance(error, UnknownOutcome)
    assert "deadline passed" in str(error)
    assert seconds < DEADLINE + 2


def test_smtp_connection_dropped_after_the_final_dot_is_an_unknown_outcome(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    with HostileSmtp("drop_after_dot") as peer:
        channel = smtp(peer.port, tmp_path, clock)
        with pytest.raises(UnknownOutcome, match="outcome unknown"):
            channel.deliver(make_message())
        channel.close()
        assert len(peer.messages) == 1


def test_smtp_connection_dropped_before_the_final_dot_is_a_plain_retry(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    with HostileSmtp("trickle") as peer:
        port = peer.port
    channel = smtp(port, tmp_path, clock)  # nobody listens any more: refused
    error, _ = timed(lambda: channel.deliver(make_message()))
    assert not isinstance(error, UnknownOutcome)
    assert not error.permanent  # type: ignore[attr-defined]


def test_webhook_trickling_its_answer_is_cut_off_with_an_unknown_outcome(
    tmp_path: Path, clock: VirtualClock
) -> None:
    with HostileHttp("trickle") as peer:
        channel = webhook(peer.port, tmp_path, clock)
        request = WebhookRequest(delivery_key="enr-1:call:0", body={"n": 1})
        error, seconds = timed(lambda: channel.call_webhook(request))
        assert peer.idempotency_keys() == ["enr-1:call:0"]
    assert isinstance(error, UnknownOutcome)
    assert seconds < DEADLINE + 2


def test_webhook_hanging_up_after_the_whole_request_is_an_unknown_outcome(
    tmp_path: Path, clock: VirtualClock
) -> None:
    with HostileHttp("drop_after_request") as peer:
        channel = webhook(peer.port, tmp_path, clock)
        request = WebhookRequest(delivery_key="enr-1:call:0", body={"n": 1})
        with pytest.raises(UnknownOutcome):
            channel.call_webhook(request)
        assert peer.idempotency_keys() == ["enr-1:call:0"]


@pytest.mark.parametrize("kind", ["smtp", "webhook"])
def test_abort_cuts_an_exchange_in_flight_and_refuses_new_ones(
    kind: str, tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    peer = HostileSmtp("trickle") if kind == "smtp" else HostileHttp("trickle")
    with peer:
        if kind == "smtp":
            channel = smtp(peer.port, tmp_path, clock, deadline=600, timeout=600)
            send: Callable[[], object] = lambda: channel.deliver(make_message())  # noqa: E731
        else:
            channel = build_channel(
                Channel(
                    name="hooks",
                    kind="webhook",
                    message="webhook",
                    settings={"url": f"http://127.0.0.1:{peer.port}/", "deadline": 600},
                ),
                root=tmp_path,
                env={},
                clock=clock,
            )
            request = WebhookRequest(delivery_key="enr-1:call:0", body={})
            send = lambda: channel.call_webhook(request)  # noqa: E731
        outcome: list[BaseException] = []

        def worker() -> None:
            try:
                send()
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=worker)
        thread.start()
        while peer.connections == 0:
            time.sleep(0.02)
        time.sleep(0.3)
        channel.abort()  # type: ignore[attr-defined]
        thread.join(3)
        assert not thread.is_alive()
        with pytest.raises(DeliveryInterrupted):
            send()
    if kind == "smtp":
        assert isinstance(outcome[0], DeliveryInterrupted)
    else:  # the whole request was out: the receiver may have acted on it
        assert isinstance(outcome[0], UnknownOutcome)

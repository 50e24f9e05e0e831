"""One contact with invalid text among five good ones: the five are delivered, on every channel.

The poisoned contact is written straight into the store, as data from before
the ingest door checked it would be; the send-time check must refuse its one
message and leave the batch alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from journey.channels import read_outbox
from journey.daemon import inbox
from journey.ingest import parse_event
from journey.model import Contact
from tests.daemon.conftest import DaemonHarness
from tests.daemon.workspace_factory import make_workspace, signups
from tests.support.http_server import HttpTestServer
from tests.support.smtp_server import SmtpTestServer

GOOD = [f"good{n}" for n in range(5)]
POISONS = {
    "lone surrogate in the name": {"first_name": "Ann\ud800"},
    "NUL in the name (reaches the subject)": {"first_name": "Ann\x00Bob"},
    "header injection in the address": {"email": "p@example.com\r\nBcc: victim@example.com"},
    "a comma list as the address": {"email": "p@example.com,victim@example.com"},
}


@dataclass
class Channel:
    """Where the workspace's `email` channel delivers, and what arrived there."""

    configure: Callable[[Path], Path]
    delivered: Callable[[], list[str]]  # recipients, in arrival order
    raw: Callable[[], bytes]  # everything that reached the far side


def _outbox(tmp_path: Path) -> Iterator[Channel]:
    path = tmp_path / "ws" / "outbox.jsonl"

    def delivered() -> list[str]:
        return [r["to"] for r in read_outbox(path)] if path.exists() else []

    yield Channel(
        configure=lambda root: make_workspace(root),
        delivered=delivered,
        raw=lambda: path.read_bytes() if path.exists() else b"",
    )


def _smtp(tmp_path: Path) -> Iterator[Channel]:
    server = SmtpTestServer()
    server.start()
    try:
        yield Channel(
            configure=lambda root: make_workspace(root, smtp_port=server.port),
            delivered=lambda: [m.rcpt_tos[0] for m in server.received],
            raw=lambda: b"".join(m.data for m in server.received),
        )
    finally:
        server.stop()


def _webhook(tmp_path: Path) -> Iterator[Channel]:
    server = HttpTestServer()
    server.start()

    def configure(root: Path) -> Path:
        make_workspace(root)
        config = f"channels:\n  email: {{ kind: webhook, message: email, url: {server.url} }}\n"
        config += 'unsubscribe_base_url: "https://mail.test.example"\n'
        (root / "workspace.yaml").write_text(config + 'database: "state.db"\n')
        return root

    try:
        yield Channel(
            configure=configure,
            delivered=lambda: [r.json()["to"] for r in server.requests],
            raw=lambda: b"".join(r.body + json.dumps(r.headers).encode() for r in server.requests),
        )
    finally:
        server.stop()


@pytest.fixture(params=[_outbox, _smtp, _webhook], ids=["outbox", "smtp", "webhook"])
def channel(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Channel]:
    yield from request.param(tmp_path)


@pytest.mark.parametrize("poison", list(POISONS.values()), ids=list(POISONS))
def test_a_poisoned_contact_fails_alone_and_the_five_good_ones_are_delivered(
    tmp_path: Path,
    harness_factory: Callable[[Path], DaemonHarness],
    channel: Channel,
    poison: dict[str, str],
) -> None:
    harness = harness_factory(channel.configure(tmp_path / "ws"))
    store, now = harness.store, harness.clock.now()
    people = [*GOOD[:2], "poisoned", *GOOD[2:]]  # in the middle of the batch
    for contact_id in people:
        fields = {"email": f"{contact_id}@example.com", "first_name": contact_id.title()}
        if contact_id == "poisoned":
            fields.update(poison)
        email = fields.pop("email")
        store.put_contact(
            Contact(id=contact_id, email=email, consent={"email": True}, attributes=fields)
        )
    events = [parse_event(r, received_at=now) for r in signups(people, now.isoformat())]
    inbox.enqueue_events(store, events, now)

    harness.run_for(0)

    assert sorted(channel.delivered()) == sorted(f"{c}@example.com" for c in GOOD)
    assert store.journey_counts("welcome-test").deliveries == {"sent": 5, "dead": 1}
    (dead,) = harness.logs("dead")
    assert "poisoned" in dead
    wire = channel.raw()
    assert b"victim" not in wire and b"\x00" not in wire

"""The delivery worker against peers that lose answers or stay away past the retry schedule."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from journey.cli.main import cli
from tests.daemon.conftest import DaemonHarness
from tests.daemon.workspace_factory import make_workspace
from tests.support.hostile_peers import HostileSmtp
from tests.support.smtp_server import SmtpTestServer


def journey_cli(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--workspace", str(root), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_answer_lost_after_the_final_dot_is_resent_once_with_the_same_message_id(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    with HostileSmtp("drop_after_dot") as peer:
        root = make_workspace(tmp_path / "ws", smtp_port=peer.port, wait="30d")
        harness = harness_factory(root)
        harness.signup(1)
        harness.run_for(3600, step=10)  # far past every retry the schedule has
        ids = peer.message_ids()
    assert len(ids) == 2  # sent at most twice ...
    assert ids[0] == ids[1]  # ... under one Message-ID, so the receiver can drop the copy
    assert len(harness.logs("uncertain")) == 1
    assert len(harness.logs("unconfirmed")) == 1
    assert harness.logs("dead") == [] and harness.logs("retry") == []
    counts = harness.store.journey_counts("welcome-test")
    assert counts.deliveries == {"unconfirmed": 1}
    assert counts.steps["welcome"].outcomes["unconfirmed"] == 1
    status = json.loads(journey_cli(root, "status", "--format", "json"))
    assert status["journeys"][0]["deliveries"] == {"unconfirmed": 1}


def test_an_answer_lost_once_then_accepted_is_sent(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    lossy = HostileSmtp("drop_after_dot")
    lossy.start()
    root = make_workspace(tmp_path / "ws", smtp_port=lossy.port, wait="30d")
    harness = harness_factory(root)
    harness.signup(1)
    harness.run_for(0)
    lossy.stop()
    assert len(harness.logs("uncertain")) == 1
    with HostileSmtp("ok") as good:
        _point_at(root, lossy.port, good.port, harness)
        harness.run_for(120, step=5)
        assert good.message_ids() == lossy.message_ids()  # the very same Message-ID again
    assert harness.store.journey_counts("welcome-test").deliveries == {"sent": 1}


def test_an_outage_past_the_retry_schedule_parks_the_mail_and_requeue_delivers_it(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    server = SmtpTestServer()
    server.start()
    server.stop()  # the port is known, nobody listens: an outage
    try:
        root = make_workspace(tmp_path / "ws", smtp_port=server.port, wait="30d")
        harness = harness_factory(root)
        harness.signup(3)
        harness.run_for(4 * 3600, step=60)  # four hours: the schedule (4 attempts here) is over
        counts = harness.store.journey_counts("welcome-test")
        assert counts.deliveries == {"parked": 3}  # kept, not dead-lettered
        assert harness.logs("dead") == []
        table = journey_cli(root, "status")
        assert "parked 3" in table and "journey deliveries requeue --parked" in table
        server.start()
        harness.run_for(600, step=60)
        assert server.received == []  # parked mail waits for the operator
        said = journey_cli(root, "deliveries", "requeue", "--channel", "email")
        assert said.strip() == "requeued 3 parked deliveries on channel email"
        harness.run_for(5)
        assert sorted(m.rcpt_tos[0] for m in server.received) == [
            "c00000@test.example",
            "c00001@test.example",
            "c00002@test.example",
        ]
        assert harness.store.journey_counts("welcome-test").deliveries == {"sent": 3}
    finally:
        server.stop()


def test_requeue_touches_only_the_states_and_channel_asked_for(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    journey_cli(root, "run", "--once")  # creates the store
    said = journey_cli(root, "deliveries", "requeue", "--dead", "--format", "json")
    assert json.loads(said) == {"requeued": 0, "states": ["dead"], "channel": None}


def _point_at(root: Path, old: int, new: int, harness: DaemonHarness) -> None:
    config = root / "workspace.yaml"
    config.write_text(config.read_text().replace(f"port: {old}", f"port: {new}"))
    harness.daemon.reload("test")

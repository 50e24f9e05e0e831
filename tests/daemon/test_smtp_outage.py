"""The SMTP server goes away mid-run and comes back: everything is delivered, nothing is dead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.daemon.conftest import DaemonHarness
from tests.daemon.workspace_factory import make_workspace
from tests.support.smtp_server import SmtpTestServer


def test_outage_mid_run_delivers_everything_once_the_server_returns(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    server = SmtpTestServer()
    server.start()
    try:
        harness = harness_factory(make_workspace(tmp_path / "ws", smtp_port=server.port, wait="5s"))
        harness.signup(50)
        harness.run_for(0)
        assert len(server.received) == 50  # the welcomes went out
        server.stop()  # the followups fall due during the outage
        harness.run_for(20)
        assert len(server.received) == 50
        assert len(harness.logs("retry")) == 50
        server.start()
        harness.run_for(120, step=5)
        welcome = {m.rcpt_tos[0] for m in server.received if m.message["Subject"] != "Next"}
        followup = {m.rcpt_tos[0] for m in server.received if m.message["Subject"] == "Next"}
        assert len(welcome) == len(followup) == 50
        assert len(server.received) == 100  # nothing twice
        counts = harness.store.journey_counts("welcome-test")
        assert counts.deliveries == {"sent": 100}
        assert harness.logs("dead") == []
    finally:
        server.stop()

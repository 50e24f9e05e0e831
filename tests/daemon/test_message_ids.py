"""Message-IDs: unique across databases, the same for every attempt of one delivery."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.daemon.conftest import DaemonHarness
from tests.daemon.workspace_factory import make_workspace
from tests.support.smtp_server import SmtpTestServer


def test_two_databases_never_share_a_message_id_and_a_retry_keeps_its_own(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    server = SmtpTestServer()
    server.start()
    try:
        first = harness_factory(make_workspace(tmp_path / "a", smtp_port=server.port, wait="30d"))
        second = harness_factory(make_workspace(tmp_path / "b", smtp_port=server.port, wait="30d"))
        server.fail_next("451 4.3.0 try again later")  # the first database's first attempt
        first.signup(1)
        first.run_for(0)
        second.signup(1)
        second.run_for(0)
        first.run_for(120, step=30)  # the retry falls due
        (refused,) = server.answered_with_failure
        b, a = server.received  # the second database's send, then the first's retry
    finally:
        server.stop()
    key = "X-Journey-Delivery-Key"
    # The same journey, contact and step in two databases: the same delivery key...
    assert a.message[key] == b.message[key] == refused.message[key]
    # ...but two Message-IDs, while the retry reused its first attempt's.
    assert a.message_id != b.message_id
    assert refused.message_id == a.message_id
    assert a.rcpt_tos == refused.rcpt_tos

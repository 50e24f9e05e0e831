"""PostgreSQL restarted under two working `journey run` processes: they reconnect by
themselves, every event acknowledged (202 from the HTTP API, or ingested before) gets its
emails, every delivery ends `sent`, and no message reaches the SMTP server twice.

The cluster is the test's own (tests/support/private_postgres.py): the machine's shared
one is never restarted. While it is down, events posted to the API are answered 503 with
Retry-After and the client sends them again, as a real client would; a worker logs one
`store_unavailable` line per attempt (spaced out), never a traceback, and
`store_reconnected` when it is back.
"""

from __future__ import annotations

import threading
import time
import urllib.error
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.daemon.crash_harness import expected_messages
from tests.daemon.live_daemon import LiveDaemon
from tests.daemon.workers import Workers, deliveries_by_status, seed, until
from tests.daemon.workspace_factory import make_workspace, signups
from tests.support.private_postgres import PrivatePostgres
from tests.support.smtp_server import SmtpTestServer, free_port

SEEDED = 200  # acknowledged before the daemons start: ingested into the inbox
POSTED = 200  # sent to the HTTP API in batches of 10 while the database restarts
LEASE = "15"  # longer than the restarts: the shards stay where they are


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    with PrivatePostgres() as private:
        yield private


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    server = SmtpTestServer()
    server.start()
    yield server
    server.stop()


class Poster(threading.Thread):
    """Posts signups for contacts c00200… in batches; a 503 or a refused connection is
    tried again after a pause. `accepted` holds the ids answered 202."""

    def __init__(self, api: LiveDaemon) -> None:
        super().__init__(daemon=True)
        self.api = api
        self.accepted: list[str] = []
        self.refused: Counter[int] = Counter()  # answers other than 202, by status

    def run(self) -> None:
        ids = [f"c{n:05d}" for n in range(SEEDED, SEEDED + POSTED)]
        for start in range(0, len(ids), 10):
            batch = ids[start : start + 10]
            records = signups(batch, datetime.now(UTC).isoformat())
            for _ in range(600):
                try:
                    status, _ = self.api.post_json("/v1/events", records)
                except (urllib.error.URLError, OSError):
                    status = 0
                if status == 202:
                    self.accepted += batch
                    break
                self.refused[status] += 1
                time.sleep(0.2)
            time.sleep(0.05)


@pytest.mark.soak
@pytest.mark.timeout(230)
def test_a_postgres_restart_under_load_loses_nothing_acknowledged_and_sends_nothing_twice(
    tmp_path: Path, cluster: PrivatePostgres, smtp: SmtpTestServer
) -> None:
    database = cluster.create_database("journey")
    root = make_workspace(tmp_path / "ws", smtp_port=smtp.port, wait="1s")
    port = free_port()
    config = root / "workspace.yaml"
    config.write_text(config.read_text() + f"http: {{ port: {port} }}\n")
    # every contact exists up front; the seeded ones also have their signup acknowledged
    seed(database, SEEDED)
    seed(database, POSTED, first=SEEDED, events=False)
    workers = Workers(root, database, tmp_path, lease=LEASE)
    expected = expected_messages(SEEDED + POSTED)

    def arrived() -> set[tuple[str, str]]:
        got = {(mail.rcpt_tos[0], str(mail.message["Subject"])) for mail in smtp.received}
        return got & expected

    try:
        api = workers.start("a", http=True)
        workers.start("b")
        poster = Poster(LiveDaemon(process=api, port=port, log=workers.log("a")))
        poster.start()
        until(lambda: len(arrived()) >= 100, workers.log("a"), seconds=90, every=0.1)
        # an operator's restart, down longer than a call waits for a connection (5 s)
        cluster.restart(down_seconds=7, mode="fast")
        until(lambda: len(arrived()) >= 400, workers.log("a"), seconds=90, every=0.1)
        cluster.restart(down_seconds=2, mode="immediate")  # a crash: recovery from the WAL
        poster.join(timeout=120)
        assert not poster.is_alive()
        until(lambda: arrived() == expected, workers.log("b"), seconds=120, every=0.2)
        until(
            lambda: deliveries_by_status(database) == {"sent": len(expected)},
            workers.log("a"),
            seconds=60,
            every=0.5,
        )
        time.sleep(0.5)  # a duplicate still in flight would land now
    finally:
        codes = workers.stop_all()
    assert sorted(poster.accepted) == [f"c{n:05d}" for n in range(SEEDED, SEEDED + POSTED)]
    ids = Counter(smtp.message_ids())
    assert [mid for mid, times in ids.items() if times > 1] == []
    assert len(ids) == len(expected)
    logs = workers.text("a") + workers.text("b")
    assert '"store_unavailable"' in logs and '"store_reconnected"' in logs
    assert "Traceback" not in logs
    assert poster.refused.keys() <= {0, 503}  # away: refused or 503, never a 500
    assert codes == [0, 0]

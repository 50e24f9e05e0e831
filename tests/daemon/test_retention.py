"""The daemon's retention run: what it expired is one log line and a metric; a store that
fails (closed, locked, replaced) is one `error` line, never a traceback, and the daemon goes on."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from journey.clock import VirtualClock
from journey.daemon.logs import StateLog
from journey.daemon.metrics import DaemonMetrics
from journey.daemon.retention import expire_history
from journey.model import Event
from journey.records import HistoryExpired
from journey.store.identity import StoreReplaced
from journey.store.sqlite import SQLiteStore

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=400)


def log_and_metrics() -> tuple[StateLog, io.StringIO, DaemonMetrics]:
    stream = io.StringIO()
    log = StateLog(fmt="json", stream=stream, now=lambda: NOW)
    return log, stream, DaemonMetrics(clock=VirtualClock(NOW))


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def event(number: int, at: datetime) -> Event:
    return Event(id=f"e{number}", contact_id="c1", name="opened", timestamp=at, received_at=at)


def test_what_retention_expired_is_logged_once_and_counted_in_the_metrics(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    store.add_events([event(1, CUTOFF - timedelta(days=30)), event(2, NOW)])
    log, stream, metrics = log_and_metrics()
    expired = expire_history(store, CUTOFF, log, metrics)
    assert expired == HistoryExpired(events=1)
    [line] = lines(stream)
    assert (line["event"], line["events_removed"], line["deliveries_removed"]) == (
        "retention",
        1,
        0,
    )
    rendered = metrics.render(inbox=0, journeys=0, state_changes=log.counts)
    assert 'journey_history_expired_rows_total{table="events"} 1' in rendered
    assert 'journey_state_changes_total{kind="retention"} 1' in rendered
    expire_history(store, CUTOFF, log, metrics)  # nothing left: no line
    assert len(lines(stream)) == 1
    store.close()


def test_a_store_that_fails_costs_one_error_line(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    store.close()  # every statement now fails
    log, stream, metrics = log_and_metrics()
    assert expire_history(store, CUTOFF, log, metrics) is None
    [line] = lines(stream)
    assert line["event"] == "error"
    assert str(line["error"]).startswith("retention: ")
    assert "Traceback" not in stream.getvalue()


class ReplacedStore(SQLiteStore):
    """The database was replaced under the daemon (tests/daemon/test_store_identity.py makes
    that happen for real; the stop is Daemon.check_store's, the job only must not crash)."""

    def expire_history(self, before: datetime) -> HistoryExpired:
        raise StoreReplaced(f"the state store {self.path} was replaced while open")


def test_a_replaced_store_is_an_error_line_for_retention(tmp_path: Path) -> None:
    store = ReplacedStore(tmp_path / "state.db")
    log, stream, metrics = log_and_metrics()
    assert expire_history(store, CUTOFF, log, metrics) is None
    [line] = lines(stream)
    assert line["event"] == "error" and "was replaced" in str(line["error"])
    store.close()

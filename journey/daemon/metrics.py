"""`GET /metrics`: the daemon's series in the Prometheus text format (version 0.0.4).

Every series an operator alerts on exists from the start at 0 — each kind of
state change, each delivery outcome for each configured channel, the latency
histogram of each channel — so `increase(journey_deliveries_total{outcome="dead"}[5m]) > 0`
fires on the very first dead letter instead of on the second one (a series
that appears at 1 has no increase). Written by hand: a dozen lines of a
stable text format, where prometheus_client would add a registry (and
process-global state) to the daemon. The test suite parses the output with
prometheus_client's own parser.
"""

from __future__ import annotations

import platform
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from journey import __version__
from journey.clock import Clock
from journey.ingest.door import IntakeTally

if TYPE_CHECKING:
    from journey.daemon.delivery_results import DeliveryResult
    from journey.records import HistoryExpired

# The catalogue of state-change kinds (the `event` of a log line); each is a series from 0.
STATE_CHANGES: tuple[str, ...] = (
    "started",
    "stopped",
    "listening",
    "reload",
    "invalid",
    "diagnostic",
    "enrolled",
    "step",
    "exited",
    "converted",
    "failed",
    "migrated",
    "sent",
    "retry",
    "dead",
    "suppressed",
    "parked",
    "uncertain",
    "unconfirmed",
    "interrupted",
    "refused",
    "lease_lost",
    "shards_taken",
    "shards_given",
    "shards_lost",
    "shards_released",
    "store_unavailable",
    "store_reconnected",
    "deleted",
    "erased_from_outbox",
    "repaired",
    "retention",
    "key_rotated",
    "error",
)
# What one delivery attempt can end as (journey.daemon.delivery.ResultStatus).
DELIVERY_OUTCOMES: tuple[str, ...] = (
    "sent",
    "retry",
    "dead",
    "suppressed",
    "parked",
    "uncertain",
    "unconfirmed",
    "interrupted",
)
# Seconds; from under a tick to an hour-long outage.
LATENCY_BUCKETS: tuple[float, ...] = (
    0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
)  # fmt: skip
_REMEMBERED_EVENTS = 100_000  # queued messages whose event's arrival time is kept


class Histogram:
    """Cumulative buckets, a sum and a count, as Prometheus histograms are exposed."""

    def __init__(self, buckets: Sequence[float] = LATENCY_BUCKETS) -> None:
        self.bounds = tuple(buckets)
        self.counts = [0] * len(self.bounds)
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        for i, bound in enumerate(self.bounds):
            if value <= bound:
                self.counts[i] += 1
        self.total += value
        self.count += 1


class DaemonMetrics:
    """What the daemon counts for /metrics; thread-safe (the worker writes, HTTP reads)."""

    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.channels: tuple[str, ...] = ()
        self.outcomes: dict[tuple[str, str], int] = {}
        self.latency: dict[str, Histogram] = {}
        self.last_tick_at = 0.0  # unix seconds; 0 until the first tick ends
        self._event_arrivals: OrderedDict[str, datetime] = OrderedDict()
        self.intake = IntakeTally()  # records off the declarations, refused or kept
        self.history_expired = {"events": 0, "step_history": 0, "deliveries": 0}

    def expired(self, expired: HistoryExpired) -> None:
        """What a retention run removed, added to the totals by table."""
        with self._lock:
            self.history_expired["events"] += expired.events
            self.history_expired["step_history"] += expired.step_records
            self.history_expired["deliveries"] += expired.deliveries

    def configure(self, channels: Iterable[str]) -> None:
        """The workspace's channels: each gets every series at 0 (kept across reloads)."""
        with self._lock:
            self.channels = tuple(sorted(set(self.channels) | set(channels)))
            for channel in self.channels:
                self.latency.setdefault(channel, Histogram())
                for outcome in DELIVERY_OUTCOMES:
                    self.outcomes.setdefault((channel, outcome), 0)

    def queued(self, delivery_key: str, event_arrived_at: datetime) -> None:
        """A message queued while an event was processed: its latency starts at the event."""
        with self._lock:
            self._event_arrivals[delivery_key] = event_arrived_at
            while len(self._event_arrivals) > _REMEMBERED_EVENTS:
                self._event_arrivals.popitem(last=False)

    def delivered(self, result: DeliveryResult) -> None:
        """One attempt's outcome; a sent message adds its latency to the channel's histogram."""
        record = result.record
        with self._lock:
            key = (record.channel, result.status)
            self.outcomes[key] = self.outcomes.get(key, 0) + 1
            started = self._event_arrivals.pop(record.delivery_key, None)
            if result.status != "sent":
                if started is not None and result.status not in ("dead", "suppressed"):
                    self._event_arrivals[record.delivery_key] = started  # a retry sends later
                return
            since = started or record.created_at
            seconds = max((self._clock.now() - since).total_seconds(), 0.0)
            self.latency.setdefault(record.channel, Histogram()).observe(seconds)

    def render(
        self,
        *,
        inbox: int,
        journeys: int,
        state_changes: Mapping[str, int],
        worker: str = "daemon",
        shards: int = 0,
        transitions: int = 0,
    ) -> str:
        """The exposition text; `state_changes` are the log's counts by kind; `worker` names
        this process among the store's workers, `shards` how many of theirs it holds now,
        `transitions` the engine's step transitions since start."""
        with self._lock:
            outcomes = dict(self.outcomes)
            latency = {
                c: (h.bounds, list(h.counts), h.total, h.count) for c, h in self.latency.items()
            }
            last_tick = self.last_tick_at
            expired = dict(self.history_expired)
        lines: list[str] = []
        family(
            lines, "journey_build_info", "gauge", "The running journey: 1, with its version.",
            [({"version": __version__, "python": platform.python_version()}, 1)],
        )  # fmt: skip
        family(
            lines, "journey_worker_info", "gauge",
            "This worker among those sharing the store: 1, with its name (as its logs give it).",
            [({"worker": worker}, 1)],
        )  # fmt: skip
        family(
            lines, "journey_shards_held", "gauge",
            "Shards of the contacts this worker holds now (all of them on SQLite).",
            [({}, shards)],
        )  # fmt: skip
        family(
            lines, "journey_last_tick_timestamp_seconds", "gauge",
            "When the work loop last finished a tick (unix seconds; 0 before the first).",
            [({}, last_tick)],
        )  # fmt: skip
        family(
            lines, "journey_inbox_items", "gauge",
            "Acknowledged events and contact changes not yet processed.", [({}, inbox)],
        )  # fmt: skip
        family(lines, "journey_journeys", "gauge", "Journeys the daemon runs.", [({}, journeys)])
        kinds = [*STATE_CHANGES, *sorted(set(state_changes) - set(STATE_CHANGES))]
        family(
            lines, "journey_state_changes_total", "counter",
            "State changes since start, by kind (one per log line).",
            [({"kind": kind}, state_changes.get(kind, 0)) for kind in kinds],
        )  # fmt: skip
        family(
            lines, "journey_deliveries_total", "counter",
            "Delivery attempts since start, by channel and outcome.",
            [({"channel": c, "outcome": o}, n) for (c, o), n in sorted(outcomes.items())],
        )  # fmt: skip
        family(
            lines, "journey_intake_off_declaration_total", "counter",
            "Events and contacts received that do not fit workspace.yaml's declarations,"
            " by kind, problem and what was done (intake: refuse or keep).",
            [({"kind": k, "problem": p, "action": a}, n)
             for (k, p, a), n in self.intake.snapshot().items()],
        )  # fmt: skip
        family(
            lines, "journey_history_expired_rows_total", "counter",
            "History rows retention removed since start, by table.",
            [({"table": table}, n) for table, n in sorted(expired.items())],
        )  # fmt: skip
        family(
            lines, "journey_step_transitions_total", "counter",
            "Step transitions the engine made since start (a send queued, a wait entered or"
            " ended, a branch taken, an update, …): work done, whatever it sent.",
            [({}, transitions)],
        )  # fmt: skip
        family(
            lines, "process_cpu_seconds_total", "counter",
            "User and system CPU time of this process, in seconds.",
            [({}, time.process_time())],
        )  # fmt: skip
        _histograms(lines, latency)
        return "\n".join(lines) + "\n"


def _histograms(
    lines: list[str], latency: Mapping[str, tuple[tuple[float, ...], list[int], float, int]]
) -> None:
    name = "journey_event_to_send_seconds"
    lines.append(
        f"# HELP {name} Seconds from an event's arrival to the peer accepting the message it "
        "caused (a step after a wait: from the step queuing it), by channel."
    )
    lines.append(f"# TYPE {name} histogram")
    for channel, (bounds, counts, total, count) in sorted(latency.items()):
        for bound, n in zip(bounds, counts, strict=True):
            lines.append(
                f"{name}_bucket{_labels({'channel': channel, 'le': repr(float(bound))})} {n}"
            )
        lines.append(f"{name}_bucket{_labels({'channel': channel, 'le': '+Inf'})} {count}")
        lines.append(f"{name}_sum{_labels({'channel': channel})} {_number(total)}")
        lines.append(f"{name}_count{_labels({'channel': channel})} {count}")


def family(
    lines: list[str],
    name: str,
    kind: str,
    help_text: str,
    samples: Iterable[tuple[Mapping[str, str], Any]],
) -> None:
    """One metric family: HELP, TYPE and its samples."""
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        lines.append(f"{name}{_labels(labels)} {_number(value)}")


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{_escape(str(value))}"' for key, value in labels.items())
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))

"""A real daemon's /metrics, read by Prometheus's own parser: every series from 0, then counting."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from journey import __version__
from journey.daemon.metrics import DELIVERY_OUTCOMES, LATENCY_BUCKETS, STATE_CHANGES
from tests.daemon.live_daemon import live_daemon, wait_until
from tests.daemon.workspace_factory import make_workspace
from tests.support.smtp_server import free_port, running_smtp_server

CHANNELS = ("email", "sms")
ALERTED_ON = ("dead", "failed", "retry", "invalid", "parked", "unconfirmed", "error")


def scrape(text: str) -> dict[str, Any]:
    """Family name -> {(sample name, sorted labels): value}; the parser refuses a bad format."""
    found: dict[str, Any] = {}
    for family in text_string_to_metric_families(text):
        samples = found.setdefault(family.name, {"type": family.type, "samples": {}})["samples"]
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(metrics: dict[str, Any], family: str, sample: str, **labels: str) -> float:
    return float(metrics[family]["samples"][(sample, tuple(sorted(labels.items())))])


def test_every_series_exists_at_zero_before_any_send_and_the_histogram_counts_sends(
    tmp_path: Path,
) -> None:
    http_port = free_port()
    with running_smtp_server() as smtp:
        root = make_workspace(tmp_path / "ws", smtp_port=smtp.port, wait="30d")
        config = root / "workspace.yaml"
        text = config.read_text().replace(
            "channels:\n", "channels:\n  sms: { kind: outbox, message: sms, path: sms.jsonl }\n"
        )
        config.write_text(text + f"http: {{ port: {http_port} }}\n")
        with live_daemon(root, http_port) as daemon:
            before = scrape(daemon.metrics())

            (build,) = before["journey_build_info"]["samples"].items()
            assert dict(build[0][1])["version"] == __version__ and build[1] == 1
            assert before["journey_last_tick_timestamp_seconds"]["type"] == "gauge"
            # which worker this is, and that it holds every shard (one daemon on SQLite)
            (worker,) = before["journey_worker_info"]["samples"].items()
            assert dict(worker[0][1]) == {"worker": "daemon"} and worker[1] == 1
            assert value(before, "journey_shards_held", "journey_shards_held") == 64
            for kind in STATE_CHANGES:
                assert (
                    value(before, "journey_state_changes", "journey_state_changes_total", kind=kind)
                    >= 0
                )
            for kind in ALERTED_ON:
                assert (
                    value(before, "journey_state_changes", "journey_state_changes_total", kind=kind)
                    == 0
                )
            assert before["journey_deliveries"]["type"] == "counter"
            steps = "journey_step_transitions", "journey_step_transitions_total"
            assert value(before, *steps) == 0
            cpu = "process_cpu_seconds", "process_cpu_seconds_total"
            assert value(before, *cpu) > 0
            latency = "journey_event_to_send_seconds"
            assert before[latency]["type"] == "histogram"
            for channel in CHANNELS:
                for outcome in DELIVERY_OUTCOMES:
                    assert (
                        value(
                            before,
                            "journey_deliveries",
                            "journey_deliveries_total",
                            channel=channel,
                            outcome=outcome,
                        )
                        == 0
                    )
                for bound in (*LATENCY_BUCKETS, float("inf")):
                    le = "+Inf" if bound == float("inf") else _le(bound)
                    assert value(before, latency, f"{latency}_bucket", channel=channel, le=le) == 0
                assert value(before, latency, f"{latency}_count", channel=channel) == 0
                assert value(before, latency, f"{latency}_sum", channel=channel) == 0

            now = datetime.now(UTC).isoformat()
            people = [
                {"id": f"m{n}", "email": f"m{n}@test.example", "first_name": f"M{n}"}
                for n in range(3)
            ]
            for person in people:
                person["consent"] = {"email": True}
            assert daemon.post_json("/v1/contacts", people)[0] == 200
            events = [
                {"id": f"e-{p['id']}", "name": "signed_up", "contact_id": p["id"], "timestamp": now}
                for p in people
            ]
            assert daemon.post_json("/v1/events", events)[0] == 202
            wait_until(lambda: len(smtp.received) == 3, 30, "three welcomes")

            def counted() -> dict[str, Any] | None:
                after = scrape(daemon.metrics())
                sent = value(
                    after,
                    "journey_deliveries",
                    "journey_deliveries_total",
                    channel="email",
                    outcome="sent",
                )
                return after if sent == 3 else None

            after = wait_until(counted, 15, "three sends counted")
            assert value(after, latency, f"{latency}_count", channel="email") == 3
            assert value(after, latency, f"{latency}_bucket", channel="email", le="+Inf") == 3
            assert value(after, latency, f"{latency}_count", channel="sms") == 0
            assert value(after, latency, f"{latency}_sum", channel="email") >= 0
            kinds = "journey_state_changes", "journey_state_changes_total"
            assert value(after, *kinds, kind="sent") == 3
            assert value(after, *kinds, kind="dead") == 0
            ticked = value(
                after, "journey_last_tick_timestamp_seconds", "journey_last_tick_timestamp_seconds"
            )
            assert 0 < ticked <= time.time()
            # each welcome: entered, sent, the 30-day wait entered
            assert value(after, *steps) >= 3 * 2
            assert value(after, *cpu) > value(before, *cpu)


def _le(bound: float) -> str:
    """How the parser spells a bucket bound it read (floats, e.g. 1.0 and 0.05)."""
    return str(float(bound))

"""`python -m bench.scale` in a tiny configuration, so the benchmark keeps working: SQLite and
PostgreSQL with one and two workers deliver every event once and report comparable figures."""

from __future__ import annotations

import json
from pathlib import Path

from bench import scale


def test_the_scale_benchmark_runs_every_configuration_and_reports_ratios(
    tmp_path: Path,
) -> None:
    figures = tmp_path / "scale.json"
    argv = ["--contacts", "40", "--rate", "20", "--seconds", "1", "--workers", "1", "2"]
    assert scale.main([*argv, "--json-out", str(figures)]) == 0

    report = json.loads(figures.read_text())
    results = {r["configuration"]: r for r in report["results"]}
    assert list(results) == ["sqlite", "postgresql, 1 worker", "postgresql, 2 workers"]
    for result in results.values():
        assert result["delivered"] == result["events"] == 20
        assert result["each_key_once"], result
        assert sum(result["sent_per_worker"]) == 20
        assert result["p99_s"] >= result["p50_s"] > 0
        assert result["workers_cpu_ms_per_delivery"] > 0
    two = results["postgresql, 2 workers"]
    assert two["shards_per_worker"] == [32, 32]  # both workers held shards
    assert all(count > 0 for count in two["sent_per_worker"])  # and sent from them
    assert results["postgresql, 1 worker"]["database_cpu_s"] > 0  # its backends were found
    assert results["sqlite"]["ratio_deliveries_per_s"] == 1.0  # the baseline of the run
    assert all(r["ratio_total_cpu_ms_per_delivery"] > 0 for r in results.values())

"""kill -9 mid-run: after restarts nothing owed is missing; copies keep their Message-ID."""

from __future__ import annotations

from pathlib import Path

from tests.daemon.crash_harness import run_crash_test


def test_kill_minus_9_five_times_loses_nothing_and_duplicates_are_recognisable(
    tmp_path: Path,
) -> None:
    report = run_crash_test(tmp_path, count=200, kills=5, seed_value=11, timeout=60)
    print(f"\ncrash test: {report}")
    assert report.kills >= 3, "the run finished before the daemon could be killed"
    assert report.missing == 0
    assert report.delivered == report.expected == 400
    # Every resend carried the Message-ID of its first copy: downstream can drop it.
    assert report.distinct_ids == report.expected
    assert report.duplicates <= report.kills * 2

"""Backoff: exponential, capped, monotonic, jittered per delivery key, then dead-letter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from journey.channels.retry import RetryPolicy, backoff_delay, next_retry_at
from journey.errors import DeliveryError

NOW = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_delays_grow_monotonically_and_stop_at_the_cap() -> None:
    for key in ("enr-1:welcome:0", "enr-2:welcome:0", ""):
        delays = [backoff_delay(attempt, delivery_key=key) for attempt in range(1, 40)]
        assert delays == sorted(delays)
        assert all(d <= timedelta(hours=1) for d in delays)
        assert delays[-1] >= timedelta(minutes=48)  # jitter takes at most 20%


def test_first_retry_is_about_the_base_and_doubles_after() -> None:
    first = backoff_delay(1, delivery_key="k")
    second = backoff_delay(2, delivery_key="k")
    assert timedelta(seconds=24) <= first <= timedelta(seconds=30)
    assert abs(second - first * 2) <= timedelta(microseconds=1)


def test_jitter_is_deterministic_per_key_and_spreads_keys() -> None:
    same = {next_retry_at(3, NOW, delivery_key="k-1") for _ in range(5)}
    spread = {next_retry_at(3, NOW, delivery_key=f"k-{n}") for n in range(100)}
    assert len(same) == 1
    assert len(spread) > 90
    assert all(NOW < at <= NOW + timedelta(minutes=2) for at in spread)


def test_custom_base_and_cap() -> None:
    delays = [
        backoff_delay(a, base=timedelta(seconds=1), cap=timedelta(seconds=10)) for a in range(1, 8)
    ]
    assert timedelta(seconds=0.8) <= delays[0] <= timedelta(seconds=1)
    assert max(delays) <= timedelta(seconds=10)


def test_naive_now_and_attempt_zero_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_retry_at(1, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="starts at 1"):
        backoff_delay(0)


def test_policy_retries_transient_failures_then_dead_letters() -> None:
    policy = RetryPolicy(max_attempts=3)
    transient = DeliveryError("451", permanent=False)

    first = policy.after_failure(attempt=1, now=NOW, error=transient, delivery_key="k")
    second = policy.after_failure(attempt=2, now=NOW, error=transient, delivery_key="k")
    third = policy.after_failure(attempt=3, now=NOW, error=transient, delivery_key="k")

    assert first is not None and second is not None and NOW < first < second
    assert third is None


def test_policy_dead_letters_a_permanent_failure_at_once() -> None:
    permanent = DeliveryError("550", permanent=True)
    assert (
        RetryPolicy().after_failure(attempt=1, now=NOW, error=permanent, delivery_key="k") is None
    )

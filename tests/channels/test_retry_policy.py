"""Backoff: exponential, capped, monotonic, jittered per delivery key, then dead-letter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journey.channels.retry import (
    RetryPolicy,
    backoff_delay,
    next_retry_at,
    parse_retry_after,
)
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


# ------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    ("header", "delay"),
    [
        ("120", timedelta(seconds=120)),
        (" 5 ", timedelta(seconds=5)),
        ("0", timedelta(0)),
        ("Sun, 29 Mar 2026 01:02:00 GMT", timedelta(minutes=2)),  # an HTTP-date, NOW + 2 min
        ("Sunday, 29-Mar-26 01:00:30 GMT", timedelta(seconds=30)),  # the obsolete RFC 850 form
        ("Sun, 29 Mar 2026 00:00:00 GMT", timedelta(0)),  # already past: no wait
        ("99999999999999999999999", timedelta(days=365)),  # absurd, but no overflow
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header: str, delay: timedelta) -> None:
    assert parse_retry_after(header, NOW) == delay


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "1.5", "\u0661\u0662", "Sun, 99 Foo"])
def test_a_retry_after_that_is_not_understood_is_ignored(header: str | None) -> None:
    assert parse_retry_after(header, NOW) is None


@given(st.text(max_size=60))
def test_any_retry_after_header_gives_a_delay_within_bounds_or_none(header: str) -> None:
    """A receiver can send anything; reading it never raises."""
    delay = parse_retry_after(header, NOW)
    assert delay is None or timedelta(0) <= delay <= timedelta(days=365)


def test_policy_waits_as_long_as_the_receiver_asked_without_jitter() -> None:
    busy = DeliveryError("429", permanent=False, retry_after=timedelta(seconds=90))
    for key in ("k-1", "k-2"):
        at = RetryPolicy().after_failure(attempt=1, now=NOW, error=busy, delivery_key=key)
        assert at == NOW + timedelta(seconds=90)  # not the 30 s backoff


def test_policy_bounds_retry_after_by_its_cap_and_still_dead_letters() -> None:
    policy = RetryPolicy(cap=timedelta(minutes=10), max_attempts=2)
    busy = DeliveryError("503", permanent=False, retry_after=timedelta(days=2))
    assert policy.after_failure(attempt=1, now=NOW, error=busy, delivery_key="k") == NOW + (
        timedelta(minutes=10)
    )
    assert policy.after_failure(attempt=2, now=NOW, error=busy, delivery_key="k") is None

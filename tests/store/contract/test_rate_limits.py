"""A channel's rate limit holds across every worker on the store: one bucket, in the store."""

from __future__ import annotations

import threading
from datetime import timedelta

from journey.store.abc import StateStore
from tests.store.contract.conftest import OpenStores
from tests.store.contract.records import T0


def test_two_workers_spend_from_one_bucket(store_factory: OpenStores) -> None:
    a, b = store_factory(), store_factory()
    rate = {"capacity": 5.0, "per_second": 1.0}
    assert a.take_rate_tokens("sms", now=T0, wanted=3, **rate).allowed == 3
    taken = b.take_rate_tokens("sms", now=T0, wanted=5, **rate)
    assert taken.allowed == 2 and taken.tokens_left == 0
    assert a.take_rate_tokens("sms", now=T0, wanted=1, **rate).allowed == 0
    later = a.take_rate_tokens("sms", now=T0 + timedelta(seconds=2), wanted=5, **rate)
    assert later.allowed == 2  # refilled at one a second
    assert b.take_rate_tokens("email", now=T0, wanted=9, **rate).allowed == 5  # its own bucket


def test_the_bucket_never_holds_more_than_its_capacity(store_factory: OpenStores) -> None:
    store = store_factory()
    rate = {"capacity": 2.0, "per_second": 10.0}
    store.take_rate_tokens("sms", now=T0, wanted=2, **rate)
    after_an_hour = store.take_rate_tokens("sms", now=T0 + timedelta(hours=1), wanted=9, **rate)
    assert after_an_hour.allowed == 2
    earlier = store.take_rate_tokens("sms", now=T0, wanted=1, **rate)  # a clock behind
    assert earlier.allowed == 0


def test_workers_taking_at_the_same_moment_never_spend_one_token_twice(
    store_factory: OpenStores,
) -> None:
    """Four workers reach for a bucket nobody has used yet, at once: one bucket, five tokens."""
    workers = [store_factory() for _ in range(4)]
    rate = {"capacity": 5.0, "per_second": 0.0}
    allowed: list[int] = []
    together = threading.Barrier(len(workers), timeout=60)

    def take(store: StateStore) -> None:
        together.wait()
        for _ in range(3):
            allowed.append(store.take_rate_tokens("sms", now=T0, wanted=1, **rate).allowed)

    threads = [threading.Thread(target=take, args=(store,)) for store in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
    assert sum(allowed) == 5 and len(allowed) == 12

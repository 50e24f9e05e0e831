"""The store's unsubscribe keys: one made with the store, rotations kept newest first, shared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from journey.daemon.secret import key_ring, rotate_key, signing_key
from journey.unsubscribe import ROTATION_OVERLAP, make_unsubscribe_token
from tests.store.contract.conftest import OpenStores

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_a_store_signs_with_its_own_key_from_the_start(store_factory: OpenStores) -> None:
    (first,) = store_factory().unsubscribe_keys()
    assert len(first.key) == 32 and first.retired_at is None
    assert store_factory("another").unsubscribe_keys()[0].key != first.key


def test_a_rotation_by_one_worker_is_every_workers_next_key(store_factory: OpenStores) -> None:
    one, two = store_factory(), store_factory()
    old = signing_key(two)
    rotate_key(one, NOW)
    keys = two.unsubscribe_keys()
    assert [k.key for k in keys][1:] == [old]  # newest first
    assert keys[1].retired_at == NOW and keys[0].created_at == NOW
    link = make_unsubscribe_token(old, "c1", "welcome")
    assert key_ring(two, {}, NOW + ROTATION_OVERLAP - timedelta(seconds=1)).verify(link)[0] == "c1"
    assert signing_key(two) not in (old, keys[1].key) and signing_key(two) == keys[0].key


def test_the_store_id_is_made_once_and_shared(store_factory: OpenStores) -> None:
    assert store_factory().database_id() == store_factory().database_id()
    assert store_factory().database_id() != store_factory("another").database_id()

"""The state store: contacts, events, plans, enrollments, step history and deliveries."""

from journey.store.abc import JourneyCounts, StateStore
from journey.store.url import open_store

__all__ = ["JourneyCounts", "StateStore", "open_store"]

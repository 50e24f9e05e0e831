"""The state store: contacts, events, plans, enrollments, step history and deliveries."""

from journey.store.abc import JourneyCounts, StateStore

__all__ = ["JourneyCounts", "StateStore", "open_store"]


def open_store(path: str) -> StateStore:
    """Open (and migrate) the store at `path`; `:memory:` gives a throw-away one."""
    from journey.store.sqlite import SQLiteStore

    return SQLiteStore(path)

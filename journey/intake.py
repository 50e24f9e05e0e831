"""Where accepted events and contact changes go: through the runner, as history, or to the inbox.

`journey ingest`, `journey contacts import` and the daemon's HTTP API share
this: erased contacts are refused at the door, each event is new, a duplicate
or a conflict (journey.ingest.dedup), and with a daemon running everything goes
to its durable inbox (journey.daemon.inbox) so one process alone advances
enrollments. One line's engine work that breaks is undone alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from journey.clock import SystemClock
from journey.daemon import inbox
from journey.daemon.lock import WriterAccess
from journey.engine.runner import Runner
from journey.erasure import clean_outboxes, workspace_outboxes
from journey.errors import JourneyError
from journey.ingest import ContactChange, RecordError
from journey.ingest.dedup import conflict_error, take_new
from journey.model import Event
from journey.store.url import environment_errors
from journey.workspace import Workspace

if TYPE_CHECKING:
    from journey.daemon.pg_lock import PostgresWriterAccess
    from journey.store.url import SQLStore

T = TypeVar("T")
Parsed = tuple[ContactChange, dict[str, Any]]


@dataclass(slots=True)
class Session:
    """The store to write to, and who processes what is written."""

    workspace: Workspace
    store: SQLStore
    clock: SystemClock
    access: WriterAccess | PostgresWriterAccess
    runner: Runner | None = None

    def daemon_running(self) -> bool:
        """Asked before each batch: a daemon that started meanwhile gets the rest via its inbox."""
        return self.runner is None or self.access.daemon_running()


def event_committer(
    session: Session, *, history: bool
) -> Callable[[list[Event]], list[str | RecordError]]:
    """How a batch of events is stored: by the runner, only as history, or via the inbox.

    Each event is new (stored, or queued for the daemon), a duplicate of one
    seen with the same content (skipped), or a conflict (refused, reported).
    """
    store, runner = session.store, session.runner
    failed: dict[int, RecordError] = {}  # by id() of the event, for this batch

    def handle(new: list[Event]) -> None:
        if history:
            store.add_events(new)
            return
        assert runner is not None
        for event in new:
            outcome = one_alone(session, partial(runner.handle_event, event))
            if isinstance(outcome, RecordError):
                failed[id(event)] = outcome

    def commit(batch: list[Event]) -> list[str | RecordError]:
        failed.clear()
        erased = store.erased_among(e.contact_id for e in batch)
        live = [e for e in batch if e.contact_id not in erased]
        if not history and session.daemon_running():
            verdicts = inbox.accept_events(store, live, session.clock.now())
            word = "queued"
        else:
            with store.transaction():
                verdicts = take_new(live, store.events_by_id, handle)
            word = "stored"
        words = {"new": word, "duplicate": "duplicate"}
        by_event = dict(zip(map(id, live), verdicts, strict=True))
        return [
            "refused"
            if event.contact_id in erased
            else conflict_error(event)
            if by_event[id(event)] == "conflict"
            else failed.get(id(event)) or words[by_event[id(event)]]
            for event in batch
        ]

    return commit


def one_alone(session: Session, work: Callable[[], T]) -> T | RecordError:
    """Run one line's engine work in a savepoint; if it breaks, only that line is lost.

    Environment failures (the store locked, a full disk) still end the command:
    they would fail every line after it too.
    """
    try:
        with session.store.savepoint():
            return work()
    except JourneyError:
        raise
    except environment_errors():
        raise
    except Exception as exc:  # a record the engine cannot process must not sink the batch
        return RecordError(f"not processed, nothing of it stored ({type(exc).__name__}: {exc})")


def contact_committer(session: Session) -> Callable[[list[Parsed]], list[str | RecordError]]:
    store, runner = session.store, session.runner

    def apply(change: ContactChange, erased: set[str]) -> str:
        assert runner is not None
        existed = store.get_contact(change.id) is not None
        if change.delete:
            runner.delete_contact(change.id)
            return "deleted" if existed else "absent"
        if change.id in erased:
            return "refused"
        runner.change_contact(change)
        return "updated" if existed else "created"

    def through_runner(batch: list[Parsed]) -> list[str | RecordError]:
        with store.transaction():
            erased = store.erased_among(change.id for change, _ in batch)
            outcomes = [one_alone(session, partial(apply, change, erased)) for change, _ in batch]
        if "deleted" in outcomes:
            clean_outboxes(store, workspace_outboxes(session.workspace))
        return outcomes

    def to_daemon(batch: list[Parsed]) -> list[str | RecordError]:
        verdicts = queue_contact_changes(store, batch, session.clock.now())
        return ["queued" if v in ("accepted", "deleted") else v for v in verdicts]

    def either(batch: list[Parsed]) -> list[str | RecordError]:
        return to_daemon(batch) if session.daemon_running() else through_runner(batch)

    return either


def queue_contact_changes(store: SQLStore, changes: Sequence[Parsed], now: datetime) -> list[str]:
    """To the daemon's inbox: `accepted`, `deleted`, or `refused` (the contact was erased).

    Erasure is final: nothing recreates an erased contact.
    """
    erased = store.erased_among(change.id for change, _ in changes if not change.delete)
    kept = [record for change, record in changes if change.delete or change.id not in erased]
    inbox.enqueue_contacts(store, kept, now)
    return [
        "deleted" if change.delete else ("refused" if change.id in erased else "accepted")
        for change, _ in changes
    ]

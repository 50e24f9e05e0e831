"""What the HTTP API's requests do in the daemon: the callbacks behind journey.daemon.http.

Requests run on the server's threads with their own store connection and only
append to the inbox (durable before the answer goes out); the worker thread
processes the inbox on its next tick, which a request brings forward.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from journey.daemon import inbox
from journey.daemon.http import HttpHandlers, JourneyHTTPServer, make_server, serve_in_thread
from journey.daemon.http.unsubscribe_page import PageLanguage, first_language
from journey.daemon.preferences import PreferenceHooks
from journey.daemon.service import Daemon
from journey.ingest import ContactChange
from journey.ingest.door import Door, door_for
from journey.intake import queue_contact_changes
from journey.model import Event
from journey.renderer.locale import negotiate_locale
from journey.shards import SHARD_COUNT
from journey.store.url import open_store
from journey.tracking.hits import resolve_hit
from journey.tracking.settings import DEFAULT_MACHINE_WINDOW
from journey.tracking.tokens import TrackedHit

log = logging.getLogger("journey.http")


class HttpHooks:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        # its own connection: requests run on the server's threads
        self.store = open_store(daemon.database)
        self._lock = threading.Lock()
        self.preferences = PreferenceHooks(
            self.store,
            self._lock,
            lambda: daemon.catalog.workspace_or_fail.topics,
            daemon.clock.now,
            daemon.wake,
        )

    def handlers(self) -> HttpHandlers:
        return HttpHandlers(
            ingest_events=self.ingest_events,
            change_contacts=self.change_contacts,
            metrics=self.metrics,
            unsubscribe=self.unsubscribe,
            health=self.health,
            now=self.daemon.clock.now,
            unsubscribe_keys=self.unsubscribe_keys,
            unsubscribe_language=self.unsubscribe_language,
            check_event=lambda event: self.door().event(event),
            check_contact=lambda change: self.door().contact(change),
            track=self.track,
            preference_topics=self.preferences.preference_topics,
            set_preferences=self.preferences.set_preferences,
        )

    def door(self) -> Door:
        """The declarations of the workspace as now loaded (a reload changes them)."""
        return door_for(self.daemon.catalog.workspace_or_fail, self.daemon.metrics.intake)

    def ingest_events(self, events: list[Event]) -> Sequence[str]:
        """Per event: `new` (queued now), `duplicate` (same id and content seen) or `conflict`."""
        with self._lock:
            verdicts = inbox.accept_events(self.store, events, self.daemon.clock.now())
        if "new" in verdicts:
            self.daemon.wake()
        return verdicts

    def change_contacts(self, changes: list[ContactChange]) -> Sequence[str]:
        """`refused` for an erased contact: erasure is final, nothing recreates them."""
        with self._lock:
            verdicts = queue_contact_changes(
                self.store, [(c, contact_patch(c)) for c in changes], self.daemon.clock.now()
            )
        self.daemon.wake()
        return verdicts

    def unsubscribe(self, contact_id: str, journey_id: str) -> None:
        """One-click unsubscribe: email consent off, and a `journey.unsubscribed` event."""
        now = self.daemon.clock.now()
        event = Event(
            id=f"journey.unsubscribed:{contact_id}:{journey_id}",
            name="journey.unsubscribed",
            contact_id=contact_id,
            timestamp=now,
            properties={"journey_id": journey_id, "channel": "email"},
            received_at=now,
        )
        with self._lock:
            self.store.enqueue(
                [
                    (inbox.CONTACT, {"id": contact_id, "consent": {"email": False}}),
                    (inbox.EVENT, inbox.event_body(event)),
                ],
                now,
            )
        self.daemon.wake()

    def track(self, hit: TrackedHit, method: str, user_agent: str) -> str | None:
        """A tracked link or pixel fetched: its event into the inbox, the target back.

        A store that cannot take the event now still sends the person on (logged)."""
        settings = self.daemon.catalog.workspace_or_fail.tracking
        window = settings.machine_window if settings else DEFAULT_MACHINE_WINDOW
        now = self.daemon.clock.now()
        with self._lock:
            found = resolve_hit(
                self.store, hit, method=method, user_agent=user_agent, now=now, window=window
            )
        if found is None:
            return None
        try:
            self.ingest_events([found.event])
        except Exception as exc:  # the redirect matters more than the count
            log.warning("tracked %s not recorded: %s", found.event.name, exc)
        return found.target or ""

    def health(self) -> Mapping[str, Any]:
        """`stalled` (503) when the work loop made no progress for `stall_seconds`."""
        last = self.daemon.last_tick_at
        with self._lock:
            waiting = self.store.inbox_size()
        quiet = self.daemon.stalled_seconds()
        limit = self.daemon.options.stall_seconds
        return {
            "status": "stalled" if quiet > limit else "ok",
            "journeys": len(self.daemon.catalog.plans),
            "inbox": waiting,
            "last_tick_at": last.isoformat() if last else None,
            "last_progress_seconds_ago": round(quiet, 1),
            "stall_after_seconds": limit,
        }

    def unsubscribe_keys(self) -> Sequence[bytes]:
        """Read at each use: a `journey secret rotate` takes effect at once."""
        with self._lock:
            return self.daemon.unsubscribe_keys(self.store).accepted

    def unsubscribe_language(
        self, contact_id: str, journey_id: str, accept_language: str | None
    ) -> PageLanguage:
        """The journey's locale for the contact (as its emails), else the browser's choice."""
        daemon = self.daemon
        plan = daemon.catalog.plans.get(journey_id)
        workspace = daemon.catalog.workspace_or_fail
        locales = plan.locales if plan is not None else (workspace.default_locale,)
        contact = None
        if contact_id:
            with self._lock:
                contact = self.store.get_contact(contact_id)
        wanted = (contact.locale if contact else None) or first_language(accept_language)
        locale = negotiate_locale(wanted, locales)
        catalogs = daemon.renderer.catalogs
        if not catalogs.has(locale):
            return PageLanguage(tag=locale)
        return PageLanguage(tag=locale, gettext=catalogs.get(locale).translations.gettext)

    def metrics(self) -> str:
        with self._lock:
            waiting = self.store.inbox_size()
        return self.daemon.metrics.render(
            inbox=waiting,
            journeys=len(self.daemon.catalog.plans),
            state_changes=dict(self.daemon.log.counts),
            worker=self.daemon.worker_name,
            shards=len(self.daemon.shards.held()) if self.daemon.shards else SHARD_COUNT,
            transitions=self.daemon.runner.transitions,
        )

    def close(self) -> None:
        with self._lock:
            self.store.close()


def contact_patch(change: ContactChange) -> dict[str, Any]:
    """A parsed change back to the JSON record the runner merges (spec section 1)."""
    if change.delete:
        return {"id": change.id, "delete": True}
    patch: dict[str, Any] = {"id": change.id}
    for key, value in change.fields.items():
        if key in ("consent", "topics") and value is None:
            continue
        patch[key] = value.isoformat() if isinstance(value, datetime) else value
    patch.update(change.attributes)
    return patch


def start_http(daemon: Daemon, wanted: bool | None) -> JourneyHTTPServer | None:
    """`--http` on, `--no-http` off; by default on when the bearer token is in the environment."""
    settings = daemon.catalog.workspace_or_fail.http
    if wanted is None:
        wanted = bool(daemon.options.env.get(settings.token_env))
    if not wanted:
        return None
    hooks = HttpHooks(daemon)
    daemon.closers.append(hooks.close)  # after the server stopped (run_forever), before the lock
    server = make_server(settings, hooks.handlers(), env=daemon.env)
    serve_in_thread(server)
    daemon.log.emit("listening", url=server.url)
    return server

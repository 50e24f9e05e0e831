"""What the engine knows besides the plan: settings, the contact's history, expression context.

`History` is a read-only view of one contact's past (events, marketing sends)
that the shell binds to a store; the engine only asks it questions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from journey.durations import parse_duration
from journey.engine.moments import window_start
from journey.engine.state import Enrollment, Entry
from journey.errors import ExpressionError
from journey.event_properties import (
    AbsentPropertyError,
    DeclaredProperties,
    declared_properties,
    readable_event,
)
from journey.expression_closures import MISSING
from journey.expressions import compile_expression
from journey.holdout import Holdout
from journey.localtime import parse_date_value, resolve_zone
from journey.model import (
    Contact,
    Duration,
    Event,
    FrequencyCap,
    LatestEvent,
    Plan,
    QuietHours,
    SplitStep,
)
from journey.tracking.settings import TrackingSettings


class History(Protocol):
    """One contact's past, as far back as the workspace keeps it."""

    def count_events(self, name: str, since: datetime | None, until: datetime) -> int: ...

    def marketing_send_times(self, since: datetime) -> list[datetime]: ...

    def last_event_at(self, name: str, until: datetime) -> datetime | None: ...

    def last_event(self, name: str, until: datetime) -> Event | None:
        """The latest event of `name` at or before `until`, with its properties."""

    def first_event_at(self, name: str, since: datetime) -> datetime | None:
        """The earliest event of `name` at or after `since`, future ones included."""

    def split_winner(self, plan: Plan, step: SplitStep, now: datetime) -> str | None:
        """The arm an auto-winner split gives every entrant from now on (None: as declared)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineSettings:
    """The workspace's rules that the engine applies on top of each plan."""

    default_timezone: str = "UTC"
    quiet_hours: QuietHours | None = None
    frequency_cap: FrequencyCap | None = None
    event_retention: Duration = Duration(calendar_days=400, text="400d")  # noqa: RUF009
    declared_attributes: tuple[str, ...] = ()
    max_steps_per_run: int = 500  # a guard; validation already forbids loops without a wait
    # Where `unsubscribe_url` links point: the daemon serves /v1/unsubscribe/{token} there.
    unsubscribe_base_url: str = "http://127.0.0.1:8787"
    # A channel's own `unsubscribe_base_url` (expanded), over the workspace's.
    channel_unsubscribe_base_urls: Mapping[str, str] = field(default_factory=dict)
    tracking: TrackingSettings | None = None  # workspace.yaml's `tracking:`; None: off
    # the workspace's holdout group: no marketing journey enrolls its members
    holdout: Holdout | None = None
    # workspace.yaml `topics`: name -> subscribed by default
    topic_defaults: Mapping[str, bool] = field(default_factory=dict)
    # workspace.yaml `events`: event name -> declared properties (one an event lacks reads as
    # absent: journey.event_properties)
    event_properties: DeclaredProperties = field(default_factory=dict)

    def unsubscribe_base_for(self, channel: str) -> str:
        return self.channel_unsubscribe_base_urls.get(channel) or self.unsubscribe_base_url

    @classmethod
    def from_workspace(cls, workspace: Any) -> EngineSettings:
        return cls(
            default_timezone=workspace.default_timezone,
            quiet_hours=workspace.quiet_hours or None,
            frequency_cap=workspace.frequency_cap or None,
            event_retention=workspace.event_retention,
            declared_attributes=tuple(workspace.contact_attributes or ()),
            unsubscribe_base_url=unsubscribe_base_url(workspace),
            channel_unsubscribe_base_urls=channel_unsubscribe_base_urls(workspace),
            tracking=getattr(workspace, "tracking", None),
            holdout=getattr(workspace, "holdout", None),
            topic_defaults={
                name: topic.default == "subscribed"
                for name, topic in (getattr(workspace, "topics", None) or {}).items()
            },
            event_properties=declared_properties(getattr(workspace, "events", None)),
        )


def unsubscribe_base_url(workspace: Any) -> str:
    """The workspace's `unsubscribe_base_url`, else the daemon's own HTTP address."""
    if getattr(workspace, "unsubscribe_base_url", None):
        return str(workspace.unsubscribe_base_url)
    http = workspace.http
    return f"http://{http.host}:{http.port}"


def channel_unsubscribe_base_urls(workspace: Any) -> dict[str, str]:
    """Channels with their own literal base; the daemon fills in `${VAR}` ones it builds."""
    found = {}
    for name, config in (getattr(workspace, "channels", None) or {}).items():
        base = config.settings.get("unsubscribe_base_url")
        if isinstance(base, str) and "${" not in base:
            found[name] = base
    return found


def contact_zone(contact: Contact, plan: Plan, settings: EngineSettings) -> ZoneInfo:
    """Contact's zone, else the journey's, else the workspace's (invalid ones fall through)."""
    return resolve_zone(contact.timezone, plan.timezone, settings.default_timezone)


def _within(value: Any) -> Duration | None:
    if value is None:
        return None
    if isinstance(value, Duration):
        return value
    if type(value) is str:
        return _parsed_within(value)
    return parse_duration(value)


@lru_cache(maxsize=256)
def _parsed_within(text: str) -> Duration:
    # `has_event(..., within='30d')` parses the same text for every contact (an error
    # is not remembered: it is raised again, as parse_duration raises it)
    return parse_duration(text)


def days_since_origin(value: Any) -> datetime | date | None:
    """What `days_since(value)` counts from: an aware instant, a calendar day, or nothing."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) > 10:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            value = parse_date_value(value)
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    return parse_date_value(value) if not isinstance(value, date) else value


def days_since_at(now: datetime, value: Any) -> int | None:
    """`days_since(value)` evaluated at `now`."""
    origin = days_since_origin(value)
    if origin is None:
        return None
    if isinstance(origin, datetime):
        return (now - origin).days
    return (now.date() - origin).days


def _days_since(now: datetime) -> Callable[[Any], int | None]:
    def days_since(value: Any) -> int | None:
        return days_since_at(now, value)

    return days_since


@dataclass(slots=True, kw_only=True)
class EvalScope:
    """Everything an expression may read for one contact at one moment."""

    contact: Contact
    history: History
    now: datetime
    zone: ZoneInfo
    settings: EngineSettings
    entry: Entry | None = None
    event: Event | None = None
    events: Mapping[str, Entry] = field(default_factory=dict)  # kept by `wait_for ... as:`
    latest_events: tuple[LatestEvent, ...] = ()  # the plan's `latest_events:`
    _cache: dict[str, Any] | None = None
    _event_data: dict[str, dict[str, Any] | None] | None = None

    def retention_start(self) -> datetime:
        """How far back history reaches: `has_event` and the latest events look no further."""
        return window_start(self.now, self.settings.event_retention, self.zone)

    def event_data(self) -> dict[str, dict[str, Any] | None]:
        """`events` as expressions, templates and webhook bodies read it: each latest
        event the plan names (none when the contact has none within event_retention),
        then what the enrollment's waits kept. Read from history once per scope, when
        first asked for: a plan without `latest_events` costs nothing."""
        if self._event_data is not None:
            return self._event_data
        found: dict[str, dict[str, Any] | None] = {}
        if self.latest_events:
            start = self.retention_start()
            for latest in self.latest_events:
                event = self.history.last_event(latest.event, self.now)
                remembered = event is not None and event.timestamp >= start
                found[latest.name] = self._read(_as_entry(event)) if remembered and event else None
        found.update({name: self._read(kept.as_context()) for name, kept in self.events.items()})
        self._event_data = found
        return found

    def entry_data(self) -> dict[str, Any] | None:
        """`entry` as expressions, templates and webhook bodies read it."""
        return self._read(self.entry.as_context()) if self.entry else None

    def _read(self, event: dict[str, Any] | None) -> dict[str, Any] | None:
        return readable_event(event, self.settings.event_properties)

    def variables(self) -> dict[str, Any]:
        """Built once per scope: many expressions run against the same moment."""
        if self._cache is None:
            self._cache = self._build()
        return self._cache

    def _build(self) -> dict[str, Any]:
        # The sandbox calls these; their names and signatures are what a marketer's
        # wrong call is told about, so they stay functions of their own.
        def has_event(name: str, within: Any = None) -> bool:
            return self.has_event(name, within)

        def event_count(name: str, within: Any = None) -> int:
            return self.event_count(name, within)

        return {
            "contact": self.contact.as_values(self.settings.declared_attributes),
            "event": self.variable("event"),
            "entry": self.variable("entry"),
            "events": self.event_data(),
            "now": self.now,
            "has_event": has_event,
            "event_count": event_count,
            "days_since": _days_since(self.now),
        }

    def _since(self, within: Any) -> datetime:
        # Computed on use: most expressions never count events, and a segment
        # re-check builds this scope for every contact.
        retention_start = self.retention_start()
        duration = _within(within)
        if duration is None:
            return retention_start
        return max(retention_start, window_start(self.now, duration, self.zone))

    def has_event(self, name: str, within: Any = None) -> bool:
        return self.history.count_events(name, self._since(within), self.now) > 0

    def event_count(self, name: str, within: Any = None) -> int:
        return self.history.count_events(name, self._since(within), self.now)

    def days_since(self, value: Any) -> int | None:
        return days_since_at(self.now, value)

    def contact_field(self, name: str) -> Any:
        """`contact.NAME` as the sandbox reads `Contact.as_values()`, without building it
        (MISSING when the values have no such key)."""
        contact = self.contact
        if name in _RESERVED_SCALARS:
            return getattr(contact, name)
        if name == "consent":
            return dict(contact.consent)
        if name == "topics":
            return {topic: dict(kinds) for topic, kinds in contact.topics.items()}
        attributes = contact.attributes
        if name in attributes:
            return attributes[name]
        if name in self.settings.declared_attributes:
            return None
        return MISSING

    def variable(self, name: str) -> Any:
        """`event`, `entry`, `events` or `now` as expressions read them."""
        if name == "event":
            return self._read(_event_values(self.event))
        if name == "entry":
            return self.entry_data()
        if name == "events":
            return self.event_data()
        if name == "now":
            return self.now
        raise KeyError(name)

    def holds(self, source: str | None) -> bool:
        """True when the expression is truthy (an absent expression holds).

        An expression in journey.expression_closures' subset runs as a closure;
        when the closure cannot answer (or raises anything), the sandbox runs it
        and its answer, value or ExpressionError, is the answer."""
        if not source:
            return True
        compiled = compile_expression(source)
        if compiled.closure is not None:
            try:
                return bool(compiled.closure(self))
            except AbsentPropertyError as exc:
                # the sandbox applies the same operator to the same absent property first
                # and fails with this message (`CompiledExpression.evaluate`)
                raise ExpressionError(f"`{source}`: {exc}") from exc
            except Exception:  # the sandbox below says what went wrong, as it always has
                pass
        return bool(compiled.evaluate(self.variables()))

    def value(self, source: str) -> Any:
        return compile_expression(source).evaluate(self.variables())


def enrollment_scope(
    plan: Plan,
    enrollment: Enrollment,
    contact: Contact,
    history: History,
    now: datetime,
    settings: EngineSettings,
    *,
    event: Event | None = None,
) -> EvalScope:
    """What an enrolled contact's expressions and messages read at `now`."""
    return EvalScope(
        contact=contact,
        history=history,
        now=now,
        zone=contact_zone(contact, plan, settings),
        settings=settings,
        entry=enrollment.entry,
        events=enrollment.events,
        latest_events=plan.latest_events,
        event=event,
    )


def _as_entry(event: Event) -> dict[str, Any]:
    """A latest event as `events.NAME` shows it: the shape of `entry` and of kept events."""
    return Entry(
        name=event.name, timestamp=event.timestamp, properties=event.properties
    ).as_context()


_RESERVED_SCALARS = frozenset({"id", "email", "phone", "locale", "timezone", "created_at"})


def _event_values(event: Event | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {
        "id": event.id,
        "name": event.name,
        "timestamp": event.timestamp,
        "properties": event.properties,
        "contact_id": event.contact_id,
    }

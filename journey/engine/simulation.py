"""A virtual-clock run of one journey over a population: the data behind `journey simulate`.

Everything runs against a throw-away store (a scratch file); the report says who
got what and when (in their local time and locale) for a bounded sample of the
contacts, per-step counts and sends per day for all of them.
"""

from __future__ import annotations

import itertools
import tempfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from journey.clock import VirtualClock
from journey.engine.context import EngineSettings
from journey.engine.perform import Happening, Renders
from journey.engine.shell import Shell
from journey.engine.timeline import run_until
from journey.ingest import ContactChange, apply_contact_change, parse_contact
from journey.localtime import add_duration, resolve_zone
from journey.model import Duration, Event, Plan, SegmentTrigger
from journey.records import JourneyCounts, SplitDecision
from journey.results.conversions import ConversionSettings
from journey.results.report import ReportOptions, journey_split_inputs
from journey.results.split_inputs import SplitInputs, add_arm_lifetime_values, journey_splits
from journey.results.variants import experiment_steps

if TYPE_CHECKING:
    from journey.store.url import SQLStore

Progress = Callable[[int], None]
_Record = TypeVar("_Record")
RENDER_SAMPLE = 200
TIMELINE_CONTACTS = 1000  # whose rows the timeline keeps; the rest are counted
CONTACT_BATCH = 1000
EVENT_GROUP = 1000  # events of one instant played in one transaction (as an inbox batch)


@dataclass(frozen=True, slots=True)
class _Placeholder:
    locale: str
    subject: str | None
    preheader: str | None = None
    text: str = ""
    html: str | None = None
    title: str | None = None


class SamplingRenderer:
    """Renders messages for the first `sample` contacts of the input only; the rest
    get a placeholder.

    Rendering dominates a large simulation; the timeline shows a few of these
    contacts in full, and the counts do not depend on the text. `--render-all`
    renders everyone.
    """

    def __init__(
        self, renderer: Renders, sample: int | None, chosen: Collection[str] | None = None
    ) -> None:
        self.renderer = renderer
        self.sample = sample
        self.fixed = chosen is not None  # chosen by the caller (a part of a bigger run)
        self.chosen: set[str] = set(chosen or ())

    def choose(self, contact_id: str) -> None:
        """Called in input order: the first `sample` contacts are the rendered ones."""
        if not self.fixed and self.sample is not None and len(self.chosen) < self.sample:
            self.chosen.add(contact_id)

    def render(self, **kwargs: Any) -> Any:
        contact = kwargs["contact"]
        if self.sample is None or contact.id in self.chosen:
            return self.renderer.render(**kwargs)
        from journey.renderer import negotiate_locale

        locale = negotiate_locale(contact.locale, kwargs["locales"])
        return _Placeholder(locale=locale, subject=f"[{kwargs['template']}]")

    def render_string(self, source: str, context: Mapping[str, Any]) -> str:
        return self.renderer.render_string(source, context)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineRow:
    at: datetime
    local: str
    contact_id: str
    kind: str
    step_id: str
    locale: str = ""
    channel: str = ""
    detail: str = ""


@dataclass(slots=True, kw_only=True)
class SimulationReport:
    journey_id: str
    start: datetime
    end: datetime
    contacts: int
    timeline: list[TimelineRow] = field(default_factory=list)
    counts: JourneyCounts | None = None
    sends_per_day: dict[str, int] = field(default_factory=dict)
    transitions: int = 0
    step_order: tuple[str, ...] = ()
    timeline_rows: int = 0  # rows in all, kept in `timeline` or not
    timeline_contacts: int | None = None  # None: the timeline has every contact's rows
    rendered_contacts: int | None = None  # None: every message was rendered
    rendered_ids: frozenset[str] | None = None  # None: every contact's messages
    # Segment trigger: contacts matching already at the start, who stay out
    # (as in production) unless the trigger says `include_existing: true`.
    matched_at_start: int = 0
    # Per split step, per arm: entered, converted, sent… (journey.results, as `journey report`)
    splits: list[dict[str, Any]] = field(default_factory=list)
    split_inputs: SplitInputs | None = None  # what `splits` is computed from (merged over parts)


class _Collector:
    """Turns runner happenings into timeline rows in the contact's local time.

    Rows are kept for the contacts in `shown` only (None: everyone); the rest
    are counted as they stream by (sends per day, rows in all), so memory does
    not grow with the population.
    """

    def __init__(self, plan: Plan, settings: EngineSettings, shown: set[str] | None):
        self.rows: list[TimelineRow] = []
        self.zones: dict[str, str | None] = {}  # of the shown contacts
        self.shown = shown
        self.plan = plan
        self.settings = settings
        self.per_day: Counter[str] = Counter()
        self.total_rows = 0
        self.plan_zone = resolve_zone(plan.timezone, settings.default_timezone)

    def __call__(self, h: Happening) -> None:
        if h.journey_id != self.plan.journey_id or h.kind not in (
            "send",
            "skip",
            "exit",
            "enter",
            "fail",
        ):
            return
        message = h.message
        if message is not None:
            self.per_day[h.at.astimezone(self.plan_zone).date().isoformat()] += 1
        self.total_rows += 1
        if self.shown is not None and h.contact_id not in self.shown:
            return
        zone = resolve_zone(
            self.zones.get(h.contact_id), self.plan.timezone, self.settings.default_timezone
        )
        detail = h.reason
        if message is not None:
            detail = message.subject or message.title or message.text[:60].replace("\n", " ")
        self.rows.append(
            TimelineRow(
                at=h.at,
                local=h.at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
                contact_id=h.contact_id,
                kind=h.kind,
                step_id=h.step_id,
                locale=message.locale if message else "",
                channel=message.channel if message else "",
                detail=detail,
            )
        )


def simulate(
    plan: Plan,
    *,
    renderer: Renders,
    settings: EngineSettings,
    contacts: Iterable[Mapping[str, Any] | ContactChange],
    events: Iterable[Event],
    start: datetime,
    duration: Duration,
    progress: Progress | None = None,
    days_progress: Progress | None = None,
    render_sample: int | None = RENDER_SAMPLE,
    conversions: ConversionSettings | None = None,
    timeline_contacts: int | None = TIMELINE_CONTACTS,
    show: Iterable[str] = (),
    events_in_order: bool = False,
    rendered: Collection[str] | None = None,
) -> SimulationReport:
    """Run the journey from `start` for `duration`; events before `start` are history.

    The contacts are the store as it is when the journey ships at `start`: they
    are loaded first and the journey is activated over them, so a segment
    trigger enters only those who start to match later (or everyone matching,
    with `include_existing: true`) and date, schedule and inactivity triggers
    are armed for each of them, exactly as `journey run` does on first sight of
    a new journey. Records must be valid (see `journey.ingest.parse_contact`); a
    caller that has checked them already passes the parsed `ContactChange`s.

    Contacts and events stream: the store is a scratch file on disk (the same
    store as `journey run`'s, journal in memory, no fsync), the timeline keeps the
    rows of the first `timeline_contacts` contacts and of those in `show`
    (None: everyone's), and everything else is counted as it happens.
    `events_in_order`: the events come sorted by timestamp and are read as they
    are played instead of being sorted first. `rendered`: the contacts whose
    messages are rendered, instead of the first `render_sample` (a part of a
    bigger run renders the first of the whole input).
    """
    with tempfile.TemporaryDirectory(prefix="journey-simulate-") as scratch:
        from journey.assembly import scratch_store  # the one place stores are opened

        store = scratch_store(Path(scratch) / "simulation.db")
        try:
            return _simulate(
                plan,
                store,
                renderer=renderer,
                settings=settings,
                contacts=contacts,
                events=events if events_in_order else sorted(events, key=_timestamp),
                start=start,
                duration=duration,
                progress=progress,
                days_progress=days_progress,
                render_sample=render_sample,
                rendered=rendered,
                conversions=conversions,
                shown=None if timeline_contacts is None else set(show),
                timeline_contacts=timeline_contacts,
            )
        finally:
            store.close()


def _timestamp(event: Event) -> datetime:
    return event.timestamp


def _simulate(
    plan: Plan,
    store: SQLStore,
    *,
    renderer: Renders,
    settings: EngineSettings,
    contacts: Iterable[Mapping[str, Any] | ContactChange],
    events: Iterable[Event],
    start: datetime,
    duration: Duration,
    progress: Progress | None,
    days_progress: Progress | None,
    render_sample: int | None,
    rendered: Collection[str] | None,
    conversions: ConversionSettings | None,
    shown: set[str] | None,
    timeline_contacts: int | None,
) -> SimulationReport:
    from journey.assembly import VirtualRun, virtual_shell

    clock = VirtualClock(start)
    collector = _Collector(plan, settings, shown)
    sampler = SamplingRenderer(renderer, render_sample, rendered)
    shell = virtual_shell(
        {plan.journey_id: plan},
        clock,
        VirtualRun(renderer=sampler, settings=settings, listener=collector, batch_size=1000),
        store=store,
    )
    runner = shell.runner
    end = add_duration(start, duration, resolve_zone(plan.timezone, settings.default_timezone))
    count = 0
    for batch in _batches(contacts, CONTACT_BATCH):
        with store.transaction():
            changes = [r if isinstance(r, ContactChange) else parse_contact(r) for r in batch]
            # one read, one write per batch: none are stored unless an earlier line had its id
            stored = store.get_contacts([change.id for change in changes])
            loaded = []
            for change in changes:
                contact = apply_contact_change(old := stored.get(change.id), change, now=start)
                assert contact is not None
                loaded.append(contact)
                stored[contact.id] = contact
                if old is None:
                    count += 1
                    sampler.choose(contact.id)
                    if shown is not None and count <= (timeline_contacts or 0):
                        shown.add(contact.id)
                if shown is None or contact.id in shown:
                    collector.zones[contact.id] = contact.timezone
            store.put_contacts(loaded)
        if progress:
            progress(len(batch))
    playing = iter(events)
    upcoming = runner.store_history(playing, start)
    runner.activate(start)
    matched = 0
    if isinstance(plan.trigger, SegmentTrigger) and not plan.trigger.include_existing:
        for contact_batch in store.iter_contacts():
            states = store.get_trigger_states(plan.journey_id, [c.id for c in contact_batch])
            matched += sum(1 for state in states.values() if state.segment_match)
    rest = itertools.chain([upcoming] if upcoming is not None else [], playing)
    _play(shell, clock, itertools.takewhile(lambda e: e.timestamp <= end, rest), end, days_progress)
    report = SimulationReport(
        journey_id=plan.journey_id,
        start=start,
        end=end,
        contacts=count,
        step_order=tuple(step.id for step in plan.steps),
    )
    report.timeline = sorted(collector.rows, key=lambda r: (r.at, r.contact_id))
    report.timeline_rows = collector.total_rows
    report.timeline_contacts = None if shown is None else len(shown)
    report.counts = store.journey_counts(plan.journey_id)
    report.sends_per_day = dict(sorted(collector.per_day.items()))
    report.transitions = runner.transitions
    report.matched_at_start = matched
    if experiment_steps(plan):
        # the results read every message and enrollment: only a split needs them
        inputs, decisions = journey_split_inputs(store, plan, conversions or ConversionSettings())
        report.split_inputs = inputs
        report.splits = simulation_splits(
            plan, inputs, conversions or ConversionSettings(), decisions
        )
    if render_sample is not None and count > render_sample:
        report.rendered_contacts = render_sample
        report.rendered_ids = frozenset(sampler.chosen)
    return report


def simulation_splits(
    plan: Plan,
    inputs: SplitInputs,
    conversions: ConversionSettings,
    decisions: dict[tuple[str, str], SplitDecision] | None = None,
) -> list[dict[str, Any]]:
    """The report's `splits`, as `journey report` computes them with its default options."""
    options = ReportOptions()
    zone = resolve_zone(plan.timezone, options.default_timezone)
    splits = journey_splits(
        plan, inputs, confidence=options.confidence, zone=zone, decisions=decisions or {}
    )
    add_arm_lifetime_values(splits, inputs, conversions)
    return splits


def _batches(records: Iterable[_Record], size: int) -> Iterator[list[_Record]]:
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _same_instant(events: Iterable[Event], size: int) -> Iterator[list[Event]]:
    """Runs of consecutive events with one timestamp, at most `size` long."""
    for _, run in itertools.groupby(events, key=_timestamp):
        while group := list(itertools.islice(run, size)):
            yield group


def _play(
    shell: Shell,
    clock: VirtualClock,
    events: Iterable[Event],
    end: datetime,
    days_progress: Progress | None,
) -> None:
    day_seconds = 86_400
    last_day = 0
    origin = clock.now()

    def tick() -> None:
        nonlocal last_day
        day = int((clock.now() - origin).total_seconds() // day_seconds)
        if days_progress and day > last_day:
            days_progress(day - last_day)
            last_day = day

    for group in _same_instant(events, EVENT_GROUP):
        run_until(shell, clock, group[0].timestamp, inclusive=False)
        with shell.store.transaction():
            # the group's contacts and enrollments in two reads, not three per event
            shell.runner.read_ahead(group)
            for event in group:
                run_until(shell, clock, event.timestamp, inclusive=False)
                shell.runner.handle_event(event)
        tick()
    while clock.now() < end:
        step_end = min(end, clock.now() + (end - origin) / 30 if end > origin else end)
        run_until(shell, clock, step_end)
        tick()
    run_until(shell, clock, end)
    tick()

"""A virtual-clock run of one journey over a population: the data behind `journey simulate`.

Everything runs against a throw-away store; the report says who got what and
when (in their local time and locale), per-step counts and sends per day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from journey.clock import VirtualClock
from journey.engine.context import EngineSettings
from journey.engine.perform import Happening, Renders
from journey.engine.shell import Shell
from journey.engine.timeline import run_until
from journey.ingest import apply_contact_change, parse_contact
from journey.localtime import add_duration, resolve_zone
from journey.model import Duration, Event, Plan, SegmentTrigger
from journey.records import JourneyCounts
from journey.results.conversions import ConversionSettings
from journey.results.report import build_report

Progress = Callable[[int], None]
RENDER_SAMPLE = 200


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

    def __init__(self, renderer: Renders, sample: int | None) -> None:
        self.renderer = renderer
        self.sample = sample
        self.chosen: set[str] = set()

    def choose(self, contact_id: str) -> None:
        """Called in input order: the first `sample` contacts are the rendered ones."""
        if self.sample is not None and len(self.chosen) < self.sample:
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
    rendered_contacts: int | None = None  # None: every message was rendered
    rendered_ids: frozenset[str] | None = None  # None: every contact's messages
    # Segment trigger: contacts matching already at the start, who stay out
    # (as in production) unless the trigger says `include_existing: true`.
    matched_at_start: int = 0
    # Per split step, per arm: entered, converted, sent… (journey.results, as `journey report`)
    splits: list[dict[str, Any]] = field(default_factory=list)


class _Collector:
    """Turns runner happenings into timeline rows in the contact's local time."""

    def __init__(self, zones: Mapping[str, str | None], plan: Plan, settings: EngineSettings):
        self.rows: list[TimelineRow] = []
        self.zones = zones
        self.plan = plan
        self.settings = settings
        self.per_day: Counter[str] = Counter()
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
        zone = resolve_zone(
            self.zones.get(h.contact_id), self.plan.timezone, self.settings.default_timezone
        )
        message = h.message
        detail = h.reason
        if message is not None:
            detail = message.subject or message.title or message.text[:60].replace("\n", " ")
            self.per_day[h.at.astimezone(self.plan_zone).date().isoformat()] += 1
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
    contacts: Iterable[Mapping[str, Any]],
    events: Iterable[Event],
    start: datetime,
    duration: Duration,
    progress: Progress | None = None,
    days_progress: Progress | None = None,
    render_sample: int | None = RENDER_SAMPLE,
    conversions: ConversionSettings | None = None,
) -> SimulationReport:
    """Run the journey from `start` for `duration`; events before `start` are history.

    The contacts are the store as it is when the journey ships at `start`: they
    are loaded first and the journey is activated over them, so a segment
    trigger enters only those who start to match later (or everyone matching,
    with `include_existing: true`) and date, schedule and inactivity triggers
    are armed for each of them, exactly as `journey run` does on first sight of
    a new journey. Records must be valid (see `journey.ingest.parse_contact`).
    """
    from journey.assembly import VirtualRun, virtual_shell

    clock = VirtualClock(start)
    zones: dict[str, str | None] = {}
    collector = _Collector(zones, plan, settings)
    sampler = SamplingRenderer(renderer, render_sample)
    shell = virtual_shell(
        {plan.journey_id: plan},
        clock,
        VirtualRun(renderer=sampler, settings=settings, listener=collector, batch_size=1000),
    )
    store, runner = shell.store, shell.runner
    end = add_duration(start, duration, resolve_zone(plan.timezone, settings.default_timezone))
    count = 0
    with store.transaction():
        for record in contacts:
            change = parse_contact(record)
            old = store.get_contact(change.id) if change.id in zones else None  # a later line
            contact = apply_contact_change(old, change, now=start)
            assert contact is not None
            store.put_contact(contact)
            zones[contact.id] = contact.timezone
            sampler.choose(contact.id)
            count += 1
            if progress and count % 100 == 0:
                progress(100)
    if progress:
        progress(count % 100)
    ordered = sorted(events, key=lambda e: e.timestamp)
    for event in (e for e in ordered if e.timestamp < start):
        runner.handle_event(event, history_only=True)
    runner.activate(start)
    matched = 0
    if isinstance(plan.trigger, SegmentTrigger) and not plan.trigger.include_existing:
        states = store.get_trigger_states(plan.journey_id, list(zones))
        matched = sum(1 for state in states.values() if state.segment_match)
    upcoming = [e for e in ordered if start <= e.timestamp <= end]
    _play(shell, clock, upcoming, end, days_progress)
    report = SimulationReport(
        journey_id=plan.journey_id,
        start=start,
        end=end,
        contacts=len(zones),
        step_order=tuple(step.id for step in plan.steps),
    )
    report.timeline = sorted(collector.rows, key=lambda r: (r.at, r.contact_id))
    report.counts = store.journey_counts(plan.journey_id)
    report.sends_per_day = dict(sorted(collector.per_day.items()))
    report.transitions = runner.transitions
    report.matched_at_start = matched
    results = build_report(store, {plan.journey_id: plan}, conversions or ConversionSettings())
    report.splits = results["journeys"][0]["splits"]
    if render_sample is not None and len(zones) > render_sample:
        report.rendered_contacts = render_sample
        report.rendered_ids = frozenset(sampler.chosen)
    store.close()
    return report


def _play(
    shell: Shell,
    clock: VirtualClock,
    events: list[Event],
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

    for event in events:
        run_until(shell, clock, event.timestamp, inclusive=False)
        shell.runner.handle_event(event)
        tick()
    while clock.now() < end:
        step_end = min(end, clock.now() + (end - origin) / 30 if end > origin else end)
        run_until(shell, clock, step_end)
        tick()
    run_until(shell, clock, end)
    tick()

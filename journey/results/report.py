"""`journey report`: per journey, step and arm, what happened — read from a store, as plain data.

The CLI prints it as a table, JSON or CSV; the site draws it; the Python API
returns it. docs/results.md explains every figure.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from journey.holdout import Holdout
from journey.localtime import add_duration, resolve_zone
from journey.model import Event, Plan
from journey.records import SplitDecision
from journey.results import stats
from journey.results.activity import Activity, first_entries, journey_lifecycle, report_end
from journey.results.activity import churn as churn_of
from journey.results.attribution import (
    UNSUBSCRIBED,
    UTC_ZONE,
    Credit,
    Touches,
    attribute_events,
    goal_credit,
    revenue,
)
from journey.results.conversions import ConversionSettings
from journey.results.engagement import CLICKED, ENGAGEMENT_EVENTS, OPENED, Engagement
from journey.results.lifecycle import cohorts, stages, survey_scores
from journey.results.programme import programme_lift
from journey.results.split_inputs import (
    SplitInputs,
    journey_splits,
    split_events,
    split_inputs,
    with_lifetime_events,
)
from journey.store.abc import StateStore
from journey.store.result_rows import EnrollmentOutcome, MessageTouch

DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportOptions:
    since: datetime | None = None
    confidence: float = DEFAULT_CONFIDENCE
    default_timezone: str = "UTC"
    holdout: Holdout | None = None  # the workspace's holdout group, for the programme's lift
    as_of: datetime | None = None  # the end of the period; default: the latest instant in the data


def build_report(
    store: StateStore,
    plans: dict[str, Plan],
    settings: ConversionSettings,
    *,
    journey_ids: Sequence[str] = (),
    options: ReportOptions | None = None,
) -> dict[str, Any]:
    """The whole report: one entry per journey (those named, else every one), and the
    workspace's conversions that no message can be credited with."""
    options = options or ReportOptions()
    known = list(plans) + sorted(set(store.journey_ids()) - set(plans))
    chosen = list(journey_ids) or known
    touches = store.message_touches(since=options.since)
    events = store.events_named(_event_names(plans, settings), since=options.since)
    outcomes = {j: store.enrollment_outcomes(j, since=options.since) for j in chosen}
    arms_of = {o.enrollment_id: o.arms for group in outcomes.values() for o in group}
    for touch in touches:  # enrollments of journeys not in the report still carry arms
        arms_of.setdefault(touch.enrollment_id, {})
    engagement = Engagement.from_events(events, touches)
    index = Touches([*touches, *engagement.click_touches(touches)])
    credits = attribute_events(events, index, settings, arms_of)
    decisions = {(d.journey_id, d.step_id): d for d in store.split_decisions()}
    journeys = [
        journey_report(
            journey_id,
            plans.get(journey_id),
            outcomes[journey_id],
            [t for t in touches if t.journey_id == journey_id],
            index,
            events,
            [c for c in credits if c.journey_id == journey_id],
            settings,
            options,
            engagement,
            decisions,
        )
        for journey_id in chosen
    ]
    everyone = [o for group in outcomes.values() for o in group]
    as_of = options.as_of or report_end(everyone, events) or datetime.now(UTC)
    first = min([o.entered_at for o in everyone], default=as_of)
    period = (options.since or first, as_of)
    activity = Activity(events, settings.churn.activity if settings.churn else ())
    for journey in journeys:
        plan = plans.get(journey["id"])
        zone = resolve_zone(plan.timezone if plan else None, options.default_timezone)
        journey_lifecycle(
            journey, outcomes[journey["id"]], activity, events, settings, zone=zone, period=period
        )
    stage_rows = stages(journeys)
    for row in stage_rows:
        entrants = first_entries(o for j in row["journeys"] for o in outcomes[j])
        row["churn"] = churn_of(entrants, activity, settings.churn, period)
    conversions = [c for c in credits if c.event != UNSUBSCRIBED and c.survey is None]
    unattributed = [c for c in conversions if c.journey_id is None]
    programme = None
    if options.holdout is not None:
        contact_ids = [c.id for batch in store.iter_contacts() for c in batch]
        programme = programme_lift(
            options.holdout, contact_ids, events, touches, settings, options.confidence
        )
    return {
        "programme": programme,
        "stages": stage_rows,
        "period": {"from": period[0].isoformat(), "to": period[1].isoformat()},
        "churn_rule": _churn_text(settings),
        "lifetime_value_days": settings.lifetime_value_days,
        "surveys": survey_scores([c for c in credits if c.survey], settings.surveys),
        "since": options.since.isoformat() if options.since else None,
        "confidence": options.confidence,
        "window": settings.window.text,
        "journeys": journeys,
        "conversion_events": {
            "declared": sorted(settings.events),
            "total": len(conversions),
            "attributed": len(conversions) - len(unattributed),
            "unattributed": len(unattributed),
            "revenue": revenue(conversions),
            "unattributed_revenue": revenue(unattributed),
        },
    }


def journey_report(
    journey_id: str,
    plan: Plan | None,
    outcomes: list[EnrollmentOutcome],
    touches: list[MessageTouch],
    index: Touches,
    events: list[Event],
    credits: list[Credit],
    settings: ConversionSettings,
    options: ReportOptions,
    engagement: Engagement | None = None,
    decisions: dict[tuple[str, str], SplitDecision] | None = None,
) -> dict[str, Any]:
    engagement = engagement or Engagement()
    decisions = decisions or {}
    zone = resolve_zone(plan.timezone if plan else None, options.default_timezone)
    goal_events = _GoalEvents(plan, events)
    converts = _conversion_rule(plan, goal_events, events, settings)
    conversions = {o.enrollment_id: converts(o, o.entered_at) for o in outcomes}
    goal_credits = [
        goal_credit(o, goal_events.of(o), index, settings)
        for o in outcomes
        if plan is not None and plan.goal is not None and conversions[o.enrollment_id]
    ]
    sent = [t for t in touches if t.reached_contact]
    activity = _sent_activity(sent, engagement)
    totals = engagement.activity(sent)
    converted = sum(1 for c in conversions.values() if c)
    low, high = stats.wilson_interval(converted, len(outcomes), options.confidence)
    contacts_sent = {t.contact_id for t in sent}
    unsubscribes = [c for c in credits if c.event == UNSUBSCRIBED]
    event_credits = [c for c in credits if c.event != UNSUBSCRIBED and c.survey is None]
    order = [s.id for s in plan.steps] if plan else []
    seen = {s for o in outcomes for s in o.reached} | {t.step_id for t in touches}
    step_ids = order + sorted(seen - set(order))
    splits = []
    if plan is not None:
        inputs = split_inputs(plan, outcomes, converts, activity, _latest(outcomes, sent, events))
        splits = journey_splits(
            plan, inputs, confidence=options.confidence, zone=zone, decisions=decisions
        )
    holdout = next((s["uplift"] | {"step": s["step"]} for s in splits if "uplift" in s), None)
    return {
        "id": journey_id,
        "name": plan.name if plan else journey_id,
        "kind": plan.kind if plan else None,
        "status": plan.status if plan else "removed",
        "conversion": _conversion_text(plan, settings),
        "entered": len(outcomes),
        "converted": converted,
        "conversion_rate": converted / len(outcomes) if outcomes else None,
        "interval": [low, high],
        "revenue": _amounts(c for c in conversions.values() if c),
        "sent": len(sent),
        "opened": totals["opened"],
        "clicked": totals["clicked"],
        "machine_opens": _machine(engagement, sent, OPENED),
        "machine_clicks": _machine(engagement, sent, CLICKED),
        "unsubscribed": len(unsubscribes),
        "unsubscribe_rate": len(unsubscribes) / len(contacts_sent) if contacts_sent else None,
        "surveys": survey_scores([c for c in credits if c.survey], settings.surveys),
        "attributed": {"conversions": len(event_credits), "revenue": revenue(event_credits)},
        "steps": [
            _step_row(
                step_id, plan, outcomes, sent, event_credits, goal_credits, unsubscribes, engagement
            )
            for step_id in step_ids
        ],
        "splits": splits,
        "holdout": holdout,
        "daily": _daily(outcomes, sent, conversions, zone),
        "cohorts": cohorts(outcomes, conversions, zone),
    }


def _conversion_rule(
    plan: Plan | None, goal_events: _GoalEvents, events: list[Event], settings: ConversionSettings
) -> Any:
    """What converting means for this journey's enrollments, from `start` on."""
    by_contact: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if event.name in settings.events:
            by_contact[event.contact_id].append(event)
    goal = plan.goal if plan else None

    def with_goal(o: EnrollmentOutcome, start: datetime) -> Any:
        if o.converted_at is None or o.converted_at < start:
            return None
        event = goal_events.of(o)
        rule = settings.events.get(goal.event) if goal else None
        amount = rule.amount(event.properties) if rule and event else None
        return o.converted_at, [amount] if amount else []

    def within_window(o: EnrollmentOutcome, start: datetime) -> Any:
        end = add_duration(start, settings.window, UTC_ZONE)
        found = [e for e in by_contact.get(o.contact_id, ()) if start < e.timestamp <= end]
        if not found:
            return None
        amounts = [a for e in found if (a := settings.events[e.name].amount(e.properties))]
        return found[0].timestamp, amounts

    return with_goal if goal is not None else within_window


class _GoalEvents:
    """The goal event behind each conversion: same contact, goal name, instant converted_at."""

    def __init__(self, plan: Plan | None, events: list[Event]) -> None:
        name = plan.goal.event if plan is not None and plan.goal is not None else None
        self._by_key: dict[tuple[str, datetime], Event] = {}
        for event in events:
            if event.name == name:
                self._by_key.setdefault((event.contact_id, event.timestamp), event)

    def of(self, o: EnrollmentOutcome) -> Event | None:
        if o.converted_at is None:
            return None
        return self._by_key.get((o.contact_id, o.converted_at))


def _churn_text(settings: ConversionSettings) -> str | None:
    rule = settings.churn
    if rule is None:
        return None
    return f"inactive after {rule.inactive_after.text} with no {', '.join(rule.activity)}"


def _machine(engagement: Engagement, sent: list[MessageTouch], name: str) -> int:
    """Machine-made opens or clicks (flagged `machine: true`) on these messages."""
    keys = {t.message_id for t in sent}
    return sum(n for (event, key), n in engagement.machine.items() if event == name and key in keys)


def _conversion_text(plan: Plan | None, settings: ConversionSettings) -> str:
    if plan is not None and plan.goal is not None:
        return f"goal: {plan.goal.event} within {plan.goal.within.text} of entry"
    if settings.events:
        names = ", ".join(sorted(settings.events))
        return f"a conversion event ({names}) within {settings.window.text} of entry"
    return "none declared (no goal, no conversion events)"


def _amounts(conversions: Iterable[Any]) -> dict[str, float]:
    totals: Counter[str] = Counter()
    for _, amounts in conversions:
        for value, currency in amounts:
            totals[currency] += value
    return {c: round(v, 2) for c, v in sorted(totals.items())}


def _step_row(
    step_id: str,
    plan: Plan | None,
    outcomes: list[EnrollmentOutcome],
    sent: list[MessageTouch],
    credits: list[Credit],
    goal_credits: list[Credit],
    unsubscribes: list[Credit],
    engagement: Engagement,
) -> dict[str, Any]:
    kind = None
    if plan is not None:
        kind = next((s.kind for s in plan.steps if s.id == step_id), None)
    here = [c for c in credits if c.step_id == step_id]
    activity = engagement.activity(t for t in sent if t.step_id == step_id)
    return {
        "step": step_id,
        "kind": kind,
        "entered": sum(1 for o in outcomes if step_id in o.reached),
        "sent": activity["sent"],
        "opened": activity["opened"],
        "clicked": activity["clicked"],
        "conversions": len(here),
        "goal_conversions": sum(1 for c in goal_credits if c.step_id == step_id),
        "revenue": revenue(here),
        "unsubscribed": sum(1 for c in unsubscribes if c.step_id == step_id),
    }


def _latest(
    outcomes: list[EnrollmentOutcome], sent: list[MessageTouch], events: list[Event]
) -> datetime | None:
    """The latest instant of the journey's data: its report's last day (None: no data)."""
    moments = [o.entered_at for o in outcomes]
    moments += [o.converted_at for o in outcomes if o.converted_at]
    moments += [t.sent_at for t in sent if t.sent_at]
    moments += [e.timestamp for e in events[-1:]]
    return max(moments) if moments else None


def _event_names(plans: dict[str, Plan], settings: ConversionSettings) -> set[str]:
    """The events a report reads: conversions, goals, surveys, engagement, churn activity."""
    names = {*settings.events, UNSUBSCRIBED, *(p.goal.event for p in plans.values() if p.goal)}
    names |= {survey.event for survey in settings.surveys.values()} | set(ENGAGEMENT_EVENTS)
    names |= set(settings.churn.activity if settings.churn else ())
    return names


def _sent_activity(sent: list[MessageTouch], engagement: Engagement) -> dict[str, Counter[str]]:
    by_enrollment: dict[str, list[MessageTouch]] = defaultdict(list)
    for touch in sent:
        by_enrollment[touch.enrollment_id].append(touch)
    return {e: engagement.activity(group) for e, group in by_enrollment.items()}


def journey_split_inputs(
    store: StateStore, plan: Plan, settings: ConversionSettings
) -> tuple[SplitInputs, dict[tuple[str, str], SplitDecision]]:
    """What `build_report` computes the journey's splits from (and the split decisions),
    read from the store as it reads them, for `journey simulate` to merge over parts."""
    touches = store.message_touches()
    names = _event_names({plan.journey_id: plan}, settings)
    outcomes = store.enrollment_outcomes(plan.journey_id)
    events = split_events(store, plan, names, outcomes)
    last_event_at = store.last_event_named_at(names)  # all of them: the data's end
    engagement = Engagement.from_events(events, touches)
    sent = [t for t in touches if t.journey_id == plan.journey_id and t.reached_contact]
    converts = _conversion_rule(plan, _GoalEvents(plan, events), events, settings)
    inputs = split_inputs(
        plan,
        outcomes,
        converts,
        _sent_activity(sent, engagement),
        _later(_latest(outcomes, sent, []), last_event_at),
    )
    end = _later(report_end(outcomes, []), last_event_at)
    with_lifetime_events(inputs, events, settings, end)
    decisions = {(d.journey_id, d.step_id): d for d in store.split_decisions()}
    return inputs, decisions


def _later(moment: datetime | None, other: datetime | None) -> datetime | None:
    return other if moment is None or (other is not None and other > moment) else moment


def _daily(
    outcomes: list[EnrollmentOutcome],
    sent: list[MessageTouch],
    conversions: dict[str, Any],
    zone: Any,
) -> list[dict[str, Any]]:
    entered = Counter(o.entered_at.astimezone(zone).date() for o in outcomes)
    sends = Counter(t.sent_at.astimezone(zone).date() for t in sent if t.sent_at)
    converted = Counter(c[0].astimezone(zone).date() for c in conversions.values() if c)
    days = sorted({*entered, *sends, *converted})
    if not days:
        return []
    rows = []
    day = days[0]
    while day <= days[-1]:
        rows.append(
            {
                "date": day.isoformat(),
                "entered": entered[day],
                "sent": sends[day],
                "converted": converted[day],
            }
        )
        day += timedelta(days=1)
    return rows

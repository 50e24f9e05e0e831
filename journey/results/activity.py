"""Lifecycle figures from activity: churn, retention cohorts, lifetime value.

Activity is the events the workspace's `churn.activity` names; churn and
retention need it, lifetime value reads the declared conversion events with a
value. Each figure is over *contacts who entered* (a journey, an arm, or any
journey of a lifecycle stage), counted once from their first entry. Weeks are
local weeks of the journey's time zone (Monday to Sunday); "weeks since entry"
are seven local calendar days each, so a week that crosses a change to or from
summer time is still the same seven days on the wall clock.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from journey.localtime import add_duration
from journey.model import Duration, Event
from journey.results.conversions import ChurnRule, ConversionSettings
from journey.store.result_rows import EnrollmentOutcome

MAX_WEEKS = 12
UTC_ZONE = ZoneInfo("UTC")
_WEEK = Duration(calendar_days=7, text="7d")


class Activity:
    """Each contact's activity instants, sorted, for the declared activity events."""

    def __init__(self, events: Iterable[Event], names: Iterable[str]) -> None:
        wanted = set(names)
        found: dict[str, list[datetime]] = defaultdict(list)
        for event in events:
            if event.name in wanted:
                found[event.contact_id].append(event.timestamp)
        self._by_contact = {c: sorted(moments) for c, moments in found.items()}

    def of(self, contact_id: str) -> list[datetime]:
        return self._by_contact.get(contact_id, [])

    def any_between(self, contact_id: str, start: datetime, end: datetime) -> bool:
        """Any activity after `start`, up to and including `end`."""
        moments = self.of(contact_id)
        first = bisect_right(moments, start)
        return first < len(moments) and moments[first] <= end


def first_entries(outcomes: Iterable[EnrollmentOutcome]) -> dict[str, datetime]:
    """contact id -> the contact's first entry among these enrollments."""
    found: dict[str, datetime] = {}
    for outcome in outcomes:
        known = found.get(outcome.contact_id)
        if known is None or outcome.entered_at < known:
            found[outcome.contact_id] = outcome.entered_at
    return found


def churned_at(
    entered_at: datetime, activity: list[datetime], rule: ChurnRule, as_of: datetime
) -> datetime | None:
    """The first moment `inactive_after` passed with no activity, counted from entry or the
    latest activity since; None while the contact has kept active up to `as_of`."""
    last = entered_at
    for moment in activity:
        if moment <= last:
            continue
        deadline = add_duration(last, rule.inactive_after, UTC_ZONE)
        if moment > deadline:
            break
        last = moment
    deadline = add_duration(last, rule.inactive_after, UTC_ZONE)
    return deadline if deadline <= as_of else None


def churn(
    entrants: dict[str, datetime],
    activity: Activity,
    rule: ChurnRule | None,
    period: tuple[datetime, datetime],
) -> dict[str, Any] | None:
    """Contacts who became inactive in the period, their share, and who is inactive at its end."""
    if rule is None:
        return None
    start, end = period
    churned = inactive = 0
    for contact_id, entered_at in entrants.items():
        moments = activity.of(contact_id)
        moment = churned_at(entered_at, moments, rule, end)
        if moment is not None and start <= moment:
            churned += 1
        latest = max([entered_at, *(m for m in moments if entered_at < m <= end)])
        inactive += add_duration(latest, rule.inactive_after, UTC_ZONE) <= end
    return {
        "contacts": len(entrants),
        "churned": churned,
        "churn_rate": churned / len(entrants) if entrants else None,
        "inactive_at_end": inactive,
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "rule": f"no {' or '.join(rule.activity)} for {rule.inactive_after.text}",
    }


def week_of(instant: datetime, zone: ZoneInfo) -> date:
    """The Monday of the instant's local week."""
    local = instant.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def after_weeks(instant: datetime, weeks: int, zone: ZoneInfo) -> datetime:
    """`weeks` × 7 local calendar days after the instant (same wall-clock time)."""
    return add_duration(instant, Duration(calendar_days=7 * weeks), zone)


def retention_cohorts(
    outcomes: list[EnrollmentOutcome],
    activity: Activity,
    zone: ZoneInfo,
    as_of: datetime,
) -> list[dict[str, Any]]:
    """[{week, entered, active_by_week: [share active in week 1 since entry, week 2, ...]}].

    Week n of an enrollment is from n-1 to n local weeks after its entry (the
    entry instant itself excluded); a week not yet over for every member of the
    cohort is left out rather than shown low.
    """
    groups: dict[date, list[EnrollmentOutcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[week_of(outcome.entered_at, zone)].append(outcome)
    rows = []
    for week in sorted(groups):
        members = groups[week]
        # each member's week boundaries, computed once: entry, +7 local days, +14, ...
        bounds = [
            [after_weeks(o.entered_at, n, zone) for n in range(MAX_WEEKS + 1)] for o in members
        ]
        shares = []
        for n in range(1, MAX_WEEKS + 1):
            if any(edges[n] > as_of for edges in bounds):
                break
            active = sum(
                1
                for o, edges in zip(members, bounds, strict=True)
                if activity.any_between(o.contact_id, edges[n - 1], edges[n])
            )
            shares.append(active / len(members))
        rows.append({"week": week.isoformat(), "entered": len(members), "active_by_week": shares})
    return rows


def lifetime_value(
    starts: dict[str, datetime],
    events: list[Event],
    settings: ConversionSettings,
    as_of: datetime,
) -> dict[str, Any]:
    """Revenue per contact over the declared days after each contact's start, per currency.

    Only contacts whose days have fully passed by `as_of` are counted (`contacts`);
    the others are `not_yet`, so a young contact does not pull the figure down.
    """
    days = settings.lifetime_value_days
    span = Duration(calendar_days=days, text=f"{days}d")
    ends = {c: add_duration(s, span, UTC_ZONE) for c, s in starts.items()}
    counted = {c for c, e in ends.items() if e <= as_of}
    totals: dict[str, float] = defaultdict(float)
    for event in events:
        rule = settings.events.get(event.name)
        start = starts.get(event.contact_id)
        if rule is None or start is None or event.contact_id not in counted:
            continue
        if not start < event.timestamp <= ends[event.contact_id]:
            continue
        amount = rule.amount(event.properties)
        if amount is not None:
            totals[amount[1]] += amount[0]
    return {
        "days": days,
        "contacts": len(counted),
        "not_yet": len(starts) - len(counted),
        "revenue": {c: round(v, 2) for c, v in sorted(totals.items())},
        "per_contact": {c: round(v / len(counted), 2) for c, v in sorted(totals.items())},
    }


def arm_starts(outcomes: list[EnrollmentOutcome], step_id: str, arm: str) -> dict[str, datetime]:
    """contact id -> when the split first gave this contact the arm (entry if unrecorded)."""
    given = [o for o in outcomes if o.arms.get(step_id) == arm]
    found: dict[str, datetime] = {}
    for outcome in given:
        moment = outcome.reached.get(step_id, outcome.entered_at)
        if outcome.contact_id not in found or moment < found[outcome.contact_id]:
            found[outcome.contact_id] = moment
    return found


def journey_lifecycle(
    journey: dict[str, Any],
    outcomes: list[EnrollmentOutcome],
    activity: Activity,
    events: list[Event],
    settings: ConversionSettings,
    *,
    zone: ZoneInfo,
    period: tuple[datetime, datetime],
) -> None:
    """Add `churn`, `retention` and `lifetime_value` to a journey of the report (and its arms)."""
    entrants = first_entries(outcomes)
    as_of = period[1]
    journey["churn"] = churn(entrants, activity, settings.churn, period)
    journey["retention"] = (
        retention_cohorts(outcomes, activity, zone, as_of) if settings.churn else []
    )
    journey["lifetime_value"] = lifetime_value(entrants, events, settings, as_of)
    journey["weeks_in"] = zone.key
    for split in journey["splits"]:
        for arm in split["arms"]:
            starts = arm_starts(outcomes, split["step"], arm["name"])
            arm["lifetime_value"] = lifetime_value(starts, events, settings, as_of)


def report_end(outcomes: Iterable[EnrollmentOutcome], events: Iterable[Event]) -> datetime | None:
    """The latest instant in the data: an entry, a conversion or an event."""
    moments = [o.entered_at for o in outcomes] + [e.timestamp for e in events]
    return max(moments) if moments else None

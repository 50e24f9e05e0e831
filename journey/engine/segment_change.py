"""When can a segment condition next change with nothing but time passing? Pure.

A segment whose condition reads the clock (`days_since`, `now`, `has_event` or
`event_count` with a `within` window) used to be re-evaluated for every
contact at every re-check. Instead, each contact's condition is taken apart
into the parts that move with time, and for each part the first instant at
which its value can change is computed:

- `days_since(x) > 30` (any comparison with a number) flips when the day count
  reaches the threshold: at x + 31 days; a bare `days_since(x)` changes at the
  next whole day;
- `x < now` (a comparison of `now` with an instant) flips at x;
- `has_event(name, within=w)` turns false when the window slides past the last
  event (last + w); `event_count(name, w)` changes when the oldest event in the
  window leaves it (oldest + w); an event stored with a future timestamp
  enters the window at its timestamp.

Until the earliest of these instants the condition keeps its value, so the
contact needs no re-check before the first re-check tick at or after it.
Anything else that reads `now` cannot be decided this way: `EVERY_TICK`.
Events and contact changes re-check the segment on their own path.

`g and rest` and `g or rest` whose `g` reads nothing but the contact's
attributes: while `g` alone gives the value of the whole (false for `and`,
true for `or`, or failing), only a change of the contact can change it, so the
parts of `rest` count only for the contacts `g` lets through. A churn segment
`contact.plan in [...] and days_since(contact.last_order_at) >= 45` re-checks
no contact off those plans when their last order turns 45 days old.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Final

from jinja2 import Undefined, nodes

from journey.durations import parse_duration
from journey.engine.context import EvalScope, days_since_origin
from journey.errors import ExpressionError
from journey.expressions import (
    CompiledExpression,
    ExpressionSyntaxError,
    called_functions,
    compile_node,
    referenced_names,
    syntax_tree,
)
from journey.localtime import add_duration, subtract_duration
from journey.model import Duration


class EveryTick:
    """The condition cannot be decided ahead: re-check at every tick."""

    def __repr__(self) -> str:
        return "EVERY_TICK"


EVERY_TICK: Final = EveryTick()

ONE_DAY = timedelta(days=1)
ONE_HOUR = timedelta(hours=1)
ONE_MICROSECOND = timedelta(microseconds=1)

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gteq": operator.ge,
    "lt": operator.lt,
    "lteq": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
}
_MIRRORED = {"gt": "lt", "gteq": "lteq", "lt": "gt", "lteq": "gteq", "eq": "eq", "ne": "ne"}


@dataclass(frozen=True, slots=True)
class _DaysSince:
    """`days_since(arg)`, alone (`flips` None: every day) or compared with a number."""

    arg: CompiledExpression
    flips: tuple[int, ...] | None  # day counts at which the comparison's truth changes


@dataclass(frozen=True, slots=True)
class _NowCompared:
    """`other < now` and the like: flips when the clock passes `other`."""

    other: CompiledExpression


@dataclass(frozen=True, slots=True)
class _Window:
    """`has_event(name, within=w)` (`last_only`) or `event_count(name, w)`."""

    name: CompiledExpression
    within: Duration
    last_only: bool


_Part = _DaysSince | _NowCompared | _Window


@dataclass(frozen=True, slots=True)
class _Guarded:
    """`guard and rest` (`rest_when` True) or `guard or rest` (False), `guard` reading only
    the contact's attributes: `rest`'s parts count while the guard's truth is `rest_when`."""

    guard: CompiledExpression
    rest_when: bool
    rest: tuple[_Item, ...]


_Item = _Part | _Guarded


class _Undecidable(Exception):
    pass


@lru_cache(maxsize=256)
def clock_parts(condition: str) -> tuple[_Item, ...] | None:
    """The parts of the condition that move with time (None: some part cannot be decided)."""
    try:
        parts: list[_Item] = []
        _walk(syntax_tree(condition), parts)
        return tuple(parts)
    except (_Undecidable, ExpressionSyntaxError):
        return None


def next_change(condition: str, scope: EvalScope) -> datetime | EveryTick | None:
    """The first instant after `scope.now` at which the condition can change by time alone.

    None: never, until the contact or its events change. The instant may be
    early (the condition is then re-checked and found unchanged), never late.
    """
    parts = clock_parts(condition)
    if parts is None:
        return EVERY_TICK
    return _soonest(parts, scope)


def _soonest(items: tuple[_Item, ...], scope: EvalScope) -> datetime | None:
    soonest: datetime | None = None
    for item in items:
        if isinstance(item, _Guarded):
            if not _lets_through(item, scope):
                continue
            instant = _soonest(item.rest, scope)
        else:
            try:
                instant = _part_change(item, scope)
            except ExpressionError:
                instant = None  # the part fails now and keeps failing until the contact changes
        if instant is not None and (soonest is None or instant < soonest):
            soonest = instant
    return soonest


def _lets_through(item: _Guarded, scope: EvalScope) -> bool:
    """Does the guard leave the value of the whole to `rest`? Not when it fails: the whole
    then fails, as the guard is looked at first."""
    try:
        return bool(_value(item.guard, scope)) is item.rest_when
    except Exception:
        return False


def _value(part: CompiledExpression, scope: EvalScope) -> Any:
    """The part's value as the sandbox gives it: its closure's, when that answers with a
    plain value (an undefined one may carry the sandbox's hint, so the sandbox says)."""
    if part.closure is not None:
        try:
            value = part.closure(scope)
        except Exception:  # the sandbox below answers, value or ExpressionError
            pass
        else:
            if not isinstance(value, Undefined):
                return value
    return part.evaluate(scope.variables())


def recheck_tick(
    recheck: Duration, at: datetime | EveryTick, now: datetime, anchor: datetime
) -> datetime:
    """A segment's re-check ticks are anchor + k × recheck: the first after `now`, at or
    after `at` (EVERY_TICK: the next one)."""
    step = max(1, recheck.approx_seconds())  # in UTC a calendar day is 86,400 s
    target = max(at, now + ONE_MICROSECOND) if isinstance(at, datetime) else now
    ticks = max(0, math.ceil((target - anchor).total_seconds() / step))
    tick = anchor + timedelta(seconds=ticks * step)
    while tick <= now:
        tick += timedelta(seconds=step)
    return tick


# ------------------------------------------------------------------- analysis


def _walk(node: nodes.Node, parts: list[_Item]) -> None:
    if isinstance(node, nodes.And | nodes.Or) and _reads_only_the_contact(node.left):
        guard = compile_node(node.left)
        if guard.closure is not None:  # in the closures' subset: no filters, nothing random
            inner: list[_Item] = []
            _walk(node.right, inner)
            parts.append(_Guarded(guard, isinstance(node, nodes.And), tuple(inner)))
            return
    if isinstance(node, nodes.Compare) and len(node.ops) == 1:
        found = _compared(node.expr, node.ops[0].op, node.ops[0].expr)
        if found is not None:
            part, rest = found
            parts.append(part)
            _walk(rest, parts)  # the argument may read time too (and must not)
            return
    if isinstance(node, nodes.Name) and node.name == "now":
        raise _Undecidable
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
        name = node.node.name
        if name == "days_since" and len(node.args) == 1 and not node.kwargs:
            parts.append(_DaysSince(compile_node(node.args[0]), None))
        elif name in ("has_event", "event_count"):
            window = _window(node, last_only=name == "has_event")
            if window is not None:
                parts.append(window)
    for child in node.iter_child_nodes():
        _walk(child, parts)


def _compared(left: nodes.Expr, op: str, right: nodes.Expr) -> tuple[_Part, nodes.Node] | None:
    if op not in _OPERATORS:
        return None
    for this, other, this_op in ((left, right, op), (right, left, _MIRRORED[op])):
        if _is_days_since(this) and _is_number(other):
            assert isinstance(this, nodes.Call) and isinstance(other, nodes.Const)
            flips = _flips(this_op, other.value)
            return _DaysSince(compile_node(this.args[0]), flips), this.args[0]
        if isinstance(this, nodes.Name) and this.name == "now":
            return _NowCompared(compile_node(other)), other
    return None


def _reads_only_the_contact(node: nodes.Node) -> bool:
    """No call and no name but `contact`: the value moves only when the contact changes."""
    inside = [node, *node.find_all((nodes.Name, nodes.Call))]
    named = [n for n in inside if isinstance(n, nodes.Name | nodes.Call)]
    return all(isinstance(n, nodes.Name) and n.name == "contact" for n in named)


def _is_days_since(node: nodes.Node) -> bool:
    return (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name == "days_since"
        and len(node.args) == 1
        and not node.kwargs
    )


def _is_number(node: nodes.Node) -> bool:
    return (
        isinstance(node, nodes.Const)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
        and math.isfinite(node.value)
    )


def _flips(op: str, threshold: float) -> tuple[int, ...]:
    """Whole day counts m at which `m - 1 OP threshold` and `m OP threshold` differ."""
    compare = _OPERATORS[op]
    base = math.floor(threshold)
    candidates = range(base - 1, base + 3)
    return tuple(m for m in candidates if compare(m - 1, threshold) != compare(m, threshold))


def _window(call: nodes.Call, *, last_only: bool) -> _Window | None:
    """A counting call with a constant window; None when it counts all time."""
    within: nodes.Expr | None = call.args[1] if len(call.args) > 1 else None
    for keyword in call.kwargs:
        if keyword.key == "within":
            within = keyword.value
    if not call.args or within is None:
        return None  # all-time counts move only with events
    if not isinstance(within, nodes.Const) or not isinstance(within.value, str):
        raise _Undecidable
    try:
        duration = parse_duration(within.value)
    except ValueError:
        return None  # fails at every evaluation alike
    return _Window(compile_node(call.args[0]), duration, last_only)


# --------------------------------------------------------------------- instants


def _part_change(part: _Part, scope: EvalScope) -> datetime | None:
    now = scope.now
    if isinstance(part, _DaysSince):
        return _days_since_change(part, days_since_origin(_value(part.arg, scope)), now)
    if isinstance(part, _NowCompared):
        other = _value(part.other, scope)
        if isinstance(other, datetime) and other.tzinfo is not None and other >= now:
            return max(other, now + timedelta(microseconds=1))
        return None
    return _window_change(part, scope, _value(part.name, scope))


def _days_since_change(
    part: _DaysSince, origin: datetime | date | None, now: datetime
) -> datetime | None:
    if origin is None:
        return None

    def reaches(days: int) -> datetime:
        if isinstance(origin, datetime):
            return origin + timedelta(days=days)
        return datetime.combine(origin + timedelta(days=days), time(), tzinfo=now.tzinfo)

    if part.flips is None:
        current = (
            (now - origin).days if isinstance(origin, datetime) else (now.date() - origin).days
        )
        return reaches(current + 1)
    upcoming = [instant for m in part.flips if (instant := reaches(m)) > now]
    return min(upcoming, default=None)


def _window_change(part: _Window, scope: EvalScope, name: Any) -> datetime | None:
    if not isinstance(name, str):
        return None
    now, history, zone = scope.now, scope.history, scope.zone
    retention = scope.settings.event_retention
    # an event leaves the window when the window's start or the retention passes it
    since = max(subtract_duration(now, retention, zone), subtract_duration(now, part.within, zone))
    lengths = (part.within, retention)
    if part.last_only:
        inside = history.last_event_at(name, now)
    else:
        inside = history.first_event_at(name, since)
    inside = inside if inside is not None and since <= inside <= now else None
    instants: list[datetime] = []
    if inside is not None:
        for length in lengths:
            leaves = add_duration(inside, length, zone)
            if length.calendar_days:
                leaves -= ONE_HOUR  # daylight-saving shifts: early, never late
            instants.append(leaves)
    upcoming = history.first_event_at(name, now + timedelta(microseconds=1))
    if upcoming is not None:
        instants.append(upcoming)
    later = [instant for instant in instants if instant > now]
    if not later and inside is not None and instants:
        return now + timedelta(microseconds=1)  # on the edge right now: look again next tick
    return min(later, default=None)


_CLOCK_NAMES = frozenset({"now", "days_since"})
_COUNTING = frozenset({"has_event", "event_count"})


@lru_cache(maxsize=256)
def depends_on_time(condition: str) -> bool:
    """Can the condition change with nothing but time passing?

    `now`, `days_since(...)` and `has_event`/`event_count` with a `within`
    window can; conditions on contact attributes and on all-time event counts
    change only when the contact or its events do, and those paths re-check
    the segment already, so no contact gets a periodic re-check. Those that
    time can change get one at the tick when they can next change
    (`journey.engine.segment_change`).
    (All-time counts can drop as `event_retention` forgets old events; that
    slow drift is not re-checked periodically.)
    """
    try:
        names = {name.split(".", 1)[0] for name in referenced_names(condition)}
        calls = called_functions(condition)
    except ExpressionSyntaxError:
        return True  # cannot tell: keep scanning
    if names & _CLOCK_NAMES:
        return True
    return any(name in _COUNTING and len(args) > 1 for name, args in calls)
